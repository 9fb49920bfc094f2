// The server's settings for this page, from the <meta name="chatbox-config">
// tag (inline scripts are banned by the page's Content-Security-Policy).
const meta = document.querySelector('meta[name="chatbox-config"]');

/** @type {{prefix: string, dev: boolean, embed_origins: string[]}} */
export const config = Object.freeze(JSON.parse(meta ? meta.content : '{}'));

/** url returns an absolute path below the route prefix. */
export function url(path) {
  return (config.prefix || '') + path;
}

/** wsURL is the WebSocket endpoint of this origin. */
export function wsURL(token) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${url('/ws')}?token=${encodeURIComponent(token)}`;
}

// A blocked resource must never go unnoticed: the browser tests fail on
// console errors, so a Content-Security-Policy violation becomes one.
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('Content-Security-Policy violation:', e.violatedDirective, e.blockedURI);
});
