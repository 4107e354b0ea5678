// HTML documents for the parsers of HTML pages (Bing, Google, Yandex) and for stripping markup.
// cheerio, with parse5 and htmlparser2, costs some 28 MB of memory once loaded, so it is loaded
// on first use: jobs that never parse HTML (the JSON API sources, `harvester get`) never pay it.
import { createRequire } from 'node:module';
import type { CheerioAPI } from 'cheerio';
import type { HtmlAnswer } from './answer-body.ts';

type Load = (typeof import('cheerio'))['load'];
const requireCjs = createRequire(import.meta.url);
let load: Load | undefined;

/** Parses `html` with cheerio's `load` (same arguments), loading cheerio the first time. */
export function loadHtml(...args: Parameters<Load>): CheerioAPI {
  load ??= (requireCjs('cheerio') as typeof import('cheerio')).load;
  return load(...args);
}

/** The document of an HTML answer: parsed now when it is (small) text, or as readHtmlAnswer parsed it. */
export function htmlDocument(answer: HtmlAnswer): CheerioAPI {
  return typeof answer === 'string' ? loadHtml(answer) : answer;
}
