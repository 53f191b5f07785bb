// Scans accepted offline, kept in IndexedDB until the server has them: a reload, a closed tab
// or a flat battery loses none. One record a scan, keyed by its nonce (the server's
// idempotency key, so sending one twice is harmless); each carries its merchant, since a
// member of two shops has two scanners on one origin.

const NAME = "redemption-scanner";
const STORE = "scans";

let opening = null;

function database() {
  opening = opening || new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, {keyPath: "nonce"});
      store.createIndex("merchant", "merchant");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => { opening = null; reject(request.error); };
  });
  return opening;
}

async function run(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const result = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(result && "result" in result ? result.result : result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

/** Queue a scan: {nonce, merchant, code, store_id, scanned_at, method, details, ...}. */
export function add(scan) {
  return run("readwrite", (store) => { store.add(scan); return null; });
}

/** The merchant's queued scans, earliest first. */
export async function pending(merchant) {
  const found = await run("readonly", (store) => store.index("merchant").getAll(merchant));
  return found.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
}

export function remove(nonces) {
  return run("readwrite", (store) => {
    nonces.forEach((nonce) => store.delete(nonce));
    return null;
  });
}
