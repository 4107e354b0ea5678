// Builds the web UI (src/web/) into web-dist/. Replaced by the server work; a no-op until then.
console.log('build-web: nothing to build yet');
