// The staff scanner's service worker: the page opens, and checks codes, without network.
//
// Served from /redeem/<merchant>/scanner/sw.js, so its scope is that scanner only (a member of
// two shops has two workers and two caches). It keeps the page, its scripts and styles and the
// kit (the shop's public keys, revoked and redeemed codes). The page and the kit are asked from
// the network first, and the cache is refreshed with every good answer; without network the
// cached copy is served. Scripts and styles come from the cache and are refreshed behind.
// Nothing but GET is touched: lookups, redemptions and syncs always go to the server.
//
// Bump VERSION when the list below changes or a cached file must not outlive a release.

const VERSION = "redemption-scanner-v1";
const SCOPE = new URL("./", self.location).href;
const CACHE = `${VERSION} ${SCOPE}`;
const PAGE = SCOPE;
const KIT = new URL("kit", SCOPE).href;
// Relative to the scope (/redeem/<merchant>/scanner/), so a mount under a path prefix works:
// the plugin's static files are under /redeem/static/, the core's under /static/.
const ASSETS = [
  "../../static/scanner.js",
  "../../static/camera.js",
  "../../static/codes.js",
  "../../static/queue.js",
  "../../static/scanner.css",
  "../../../static/vendor/pico/pico.min.css",
  "../../../static/css/app.css",
  "../../../static/vendor/jsqr/jsQR.js",
  "../../../static/vendor/noble-ed25519/index.js",
].map((path) => new URL(path, SCOPE).href);

function usable(response) {
  // Not a redirect to the login page, not an error page: those are never what to show offline.
  return response && response.ok && response.type === "basic" && !response.redirected;
}

async function keep(cache, url) {
  try {
    const response = await fetch(url, {credentials: "same-origin", cache: "no-store"});
    if (usable(response)) { await cache.put(url, response); }
  } catch (error) {
    // the page fetches the kit itself too; a miss here is made up then
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS);
    await Promise.all([keep(cache, PAGE), keep(cache, KIT)]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.endsWith(` ${SCOPE}`) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const cached = await cache.match(key, {ignoreVary: true});
    if (cached) { return cached; }
    throw error;
  }
  if (usable(response)) {
    await cache.put(key, response.clone());
  } else if (response.status >= 500) {
    // the server is down rather than the network: the cached copy is more use
    const cached = await cache.match(key, {ignoreVary: true});
    if (cached) { return cached; }
  }
  return response;
}

async function cacheFirst(event, key) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key, {ignoreVary: true});
  const fresh = fetch(event.request).then(async (response) => {
    if (usable(response)) { await cache.put(key, response.clone()); }
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  const key = url.origin + url.pathname;
  if (key === PAGE && request.mode === "navigate") {
    event.respondWith(networkFirst(request, PAGE));  // "?store=3" and all: one page
  } else if (key === KIT) {
    event.respondWith(networkFirst(request, KIT));
  } else if (ASSETS.includes(key)) {
    event.respondWith(cacheFirst(event, key));
  }
});
