// Request headers of a current desktop browser, for the HTML services that serve their result
// markup only to browsers (Bing, Yandex, DuckDuckGo's token page). SearXNG and ddgs send a
// browser User-Agent and Accept-Language to these same endpoints.

export const BROWSER_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

export const BROWSER_HEADERS: Readonly<Record<string, string>> = {
  'user-agent': BROWSER_USER_AGENT,
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.5',
};
