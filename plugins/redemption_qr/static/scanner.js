// The staff scanner page (plugins/redemption_qr/templates/redemption_qr/scanner.html).
//
// Online, every code goes to the server: /lookup shows what it stands for, Confirm sends it
// to /redeem with a nonce (a lost answer is asked again with the same nonce and redeems
// nothing twice). Offline (no network, or the request fails), a signed QR payload is checked
// on the phone against the kit (the shop's public keys, revoked and redeemed codes), accepted
// scans wait in IndexedDB as "pending sync", and go to /sync when the network is back; the
// server's answer for each is shown, a conflict (the code was used at another counter too)
// standing out. Typed human codes cannot be checked offline. A service worker (sw.js) keeps
// the page, its scripts and the kit for when the page is opened without network.

import {Camera} from "./camera.js";
import {judgeOffline, looksLikeHumanCode, looksLikePayload, readPayload} from "./codes.js";
import * as queue from "./queue.js";

const root = document.getElementById("scanner");
const T = JSON.parse(document.getElementById("scanner-text").textContent);
const urls = root.dataset;
const merchant = urls.merchant;
const $ = (id) => document.getElementById(id);
const REQUEST_TIMEOUT_MS = 10000;
const KIT_REFRESH_MS = 5 * 60 * 1000;
const RETRY_SYNC_MS = 30 * 1000;
const SYNC_BATCH = 200;  // the most /sync takes at once

const state = {
  kit: null,
  current: null,          // the code on screen: {text, method, nonce, offline, body, answer}
  redeemedHere: new Set(), // code ids this page saw redeemed (the kit may be older)
  syncing: false,
  reachable: navigator.onLine,
  currency: localStorage.getItem(`redemption-scanner-currency:${merchant}`),
};

// --- small helpers ----------------------------------------------------------------------------

// Messages come translated from the page, with {name} where a value goes.
function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_match, name) => String(values[name] ?? ""));
}

function deviceId() {
  const key = "redemption-scanner-device";
  let id = localStorage.getItem(key);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(key, id);
  }
  return id;
}

function csrfToken() {
  return document.querySelector("meta[name=csrf-token]").content;
}

function element(tag, {text, className, data} = {}, ...children) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) { node.textContent = text; }
  if (className) { node.className = className; }
  Object.entries(data || {}).forEach(([key, value]) => { node.dataset[key] = value; });
  node.append(...children);
  return node;
}

function fractionDigits(currency) {
  if (!currency) { return 0; }  // not known (offline, never seen): whole units
  try {
    return new Intl.NumberFormat("en", {style: "currency", currency})
      .resolvedOptions().maximumFractionDigits;
  } catch (error) {
    return 0;
  }
}

function money(amount, currency) {
  if (amount === null || amount === undefined || !currency) { return ""; }
  const value = amount / 10 ** fractionDigits(currency);
  return new Intl.NumberFormat(document.documentElement.lang || undefined,
                               {style: "currency", currency}).format(value);
}

function clock(iso) {
  return new Date(iso).toLocaleString(document.documentElement.lang || undefined,
                                      {dateStyle: "short", timeStyle: "short"});
}

function storeId() {
  return Number($("store").value);
}

function storeName(id) {
  const option = [...$("store").options].find((o) => Number(o.value) === id);
  return option ? option.textContent : "";
}

function kindLabel(kind) {
  return T.kinds[kind] || kind;
}

// --- talking to the server --------------------------------------------------------------------

class Offline extends Error {}
class SessionEnded extends Error {}

async function fetchWithTimeout(url, options) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    return await fetch(url, {...options, credentials: "same-origin", signal: controller.signal});
  } catch (error) {
    throw new Offline(String(error));
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh CSRF token from the page itself: a page kept open for hours, or opened from the
 * service worker's cache, holds one that may have expired. */
async function refreshToken() {
  const response = await fetchWithTimeout(urls.pageUrl, {cache: "no-store"});
  if (response.redirected) { throw new SessionEnded(); }  // to the login page
  if (!response.ok) { throw new Offline(`the page answered ${response.status}`); }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const meta = page.querySelector("meta[name=csrf-token]");
  if (!meta) { throw new SessionEnded(); }
  document.querySelector("meta[name=csrf-token]").content = meta.content;
  setReachable(true);
}

/** POST JSON; returns {status, answer}. Throws Offline without an answer from the server,
 * SessionEnded when the login is gone. */
async function post(url, body, retried = false) {
  if (!navigator.onLine) { throw new Offline("navigator.onLine is false"); }
  const response = await fetchWithTimeout(url, {
    method: "POST",
    headers: {"Content-Type": "application/json", "Accept": "application/json",
              "X-CSRFToken": csrfToken(), "X-Scanner-Device": deviceId()},
    body: JSON.stringify(body),
  });
  setReachable(true);
  if (response.redirected) { throw new SessionEnded(); }  // to the login page
  const isJson = (response.headers.get("Content-Type") || "").includes("json");
  if (!isJson) {
    if (response.status === 400 && !retried) {  // the CSRF token expired
      await refreshToken();
      return post(url, body, true);
    }
    if (response.status === 429) {
      return {status: 429, answer: {outcome: "rate_limited", message: T.rate_limited}};
    }
    return {status: response.status, answer: {outcome: "error", message: T.server_error}};
  }
  const answer = await response.json();
  if (!answer.message) { answer.message = answer.detail || answer.title || T.server_error; }
  return {status: response.status, answer};
}

async function loadKit() {
  try {
    const response = await fetchWithTimeout(urls.kitUrl,
                                            {headers: {"Accept": "application/json"}});
    if (response.ok && !response.redirected) { state.kit = await response.json(); }
  } catch (error) {
    // no network and nothing cached: offline checks wait for the next try
  }
  showKitAge();
  await showOfflineReadiness();
}

// --- connection and offline readiness -------------------------------------------------------

function setReachable(reachable) {
  state.reachable = reachable;
  const online = navigator.onLine && reachable;
  const box = $("connection");
  box.dataset.state = online ? "online" : "offline";
  box.querySelector(".connection-label").textContent = online ? T.online : T.offline;
}

function showKitAge() {
  const note = $("kit-age");
  if (!state.kit) {
    note.textContent = T.no_kit;
    return;
  }
  note.textContent = format(T.kit_age, {time: clock(state.kit.generated_at)});
}

async function showOfflineReadiness() {
  const note = $("offline-ready");
  let ready = false;
  if ("serviceWorker" in navigator && "caches" in window && state.kit) {
    const registration = await navigator.serviceWorker.getRegistration(urls.scope);
    ready = Boolean(registration && registration.active &&
                    await caches.match(urls.kitUrl, {ignoreVary: true}) &&
                    await caches.match(urls.pageUrl, {ignoreVary: true}));
  }
  note.dataset.ready = ready ? "yes" : "no";
  note.textContent = ready ? T.offline_ready : T.offline_not_ready;
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) { return; }
  try {
    await navigator.serviceWorker.register(urls.workerUrl, {scope: urls.scope});
    await navigator.serviceWorker.ready;
  } catch (error) {
    return;  // not a secure context, or storage refused: the page still works online
  }
  await showOfflineReadiness();
}

// --- the result panel -------------------------------------------------------------------------

function clearResult() {
  state.current = null;
  const panel = $("result");
  panel.hidden = true;
  delete panel.dataset.outcome;
  $("result-message").textContent = "";
  $("result-details").replaceChildren();
  $("confirm").hidden = true;
  $("manual-code").value = "";
  if (camera.running) { camera.resume(); }
}

function showMessage(outcome, message, {tone} = {}) {
  const panel = $("result");
  if (panel.hidden) {
    panel.hidden = false;
    panel.scrollIntoView({block: "nearest"});  // on a phone it is below the camera
  }
  panel.dataset.outcome = outcome;
  const box = $("result-message");
  box.textContent = message;
  box.className = `flash flash-${tone || toneOf(outcome)}`;
  box.setAttribute("role", (tone || toneOf(outcome)) === "error" ? "alert" : "status");
}

function toneOf(outcome) {
  if (outcome === "redeemable" || outcome === "redeemed" || outcome === "accepted_offline") {
    return "success";
  }
  return "error";
}

function describeCode(code) {
  const details = $("result-details");
  details.replaceChildren();
  if (!code) { return; }
  details.append(element("h2", {text: code.title || kindLabel(code.kind)}));
  if (code.holder) { details.append(element("p", {text: format(T.holder, {name: code.holder})})); }
  if (code.lines && code.lines.length) {
    details.append(element("p", {text: T.hand_over, className: "result-heading"}));
    details.append(element("ul", {className: "result-lines"}, ...code.lines.map((line) => {
      const variant = line.variant ? ` — ${line.variant}` : "";
      return element("li", {text: `${line.quantity} × ${line.title}${variant}`});
    })));
  }
  const order = code.order;
  if (order && order.pay_at_counter && order.total > 0) {
    const amount = money(order.total, order.currency);
    details.append(element("p", {className: "result-due", text: format(T.to_collect, {amount})}));
  }
  if (code.discount && code.discount.summary) {
    details.append(element("p", {className: "result-discount", text: code.discount.summary}));
  }
  const conditions = Array.isArray(code.conditions) ? code.conditions :
    (code.conditions ? [code.conditions] : []);
  if (conditions.length) {
    details.append(element("p", {text: T.conditions, className: "result-heading"}));
    details.append(element("ul", {className: "result-conditions"},
                           ...conditions.map((text) => element("li", {text}))));
  }
}

function describeOffline(body) {
  const details = $("result-details");
  details.replaceChildren(
    element("h2", {text: `${kindLabel(body.kind)} #${body.subjectId}`}),
    element("p", {text: T.offline_details, className: "muted"}));
}

function currencyOf(code) {
  const found = (code && ((code.order && code.order.currency) ||
                          (code.discount && code.discount.currency) || code.currency)) || null;
  if (found) {
    state.currency = found;
    localStorage.setItem(`redemption-scanner-currency:${merchant}`, found);
  }
  return found || state.currency;
}

/** Show the Confirm form with the fields the code needs. Online, the payment checkbox must be
 * ticked (the server would refuse, and a refusal counts against the rate limit); offline it
 * cannot be known whether the order is paid at the store, so it is left to the staff. */
function askFor(needs, code, {paymentRequired = true} = {}) {
  const form = $("confirm");
  const payment = form.querySelector("[data-need=payment_taken]");
  const amount = form.querySelector("[data-need=amount]");
  payment.hidden = !needs.includes("payment_taken");
  amount.hidden = !needs.includes("amount");
  form.elements.payment_taken.checked = false;
  form.elements.payment_taken.required = !payment.hidden && paymentRequired;
  const input = form.elements.amount;
  input.value = "";
  input.required = !amount.hidden;
  const digits = fractionDigits(currencyOf(code));
  input.step = digits ? String(10 ** -digits) : "1";
  $("amount-currency").textContent = currencyOf(code) || "";
  form.hidden = false;
  $("confirm-button").disabled = false;
}

function confirmedDetails() {
  const form = $("confirm");
  const details = {};
  if (!form.querySelector("[data-need=payment_taken]").hidden) {
    details.payment_taken = form.elements.payment_taken.checked;
  }
  if (!form.querySelector("[data-need=amount]").hidden) {
    const digits = fractionDigits(currencyOf(state.current && state.current.answer &&
                                             state.current.answer.code));
    details.amount = Math.round(Number(form.elements.amount.value) * 10 ** digits);
  }
  return details;
}

function showAnswer(answer) {
  const current = state.current;
  current.answer = answer;
  describeCode(answer.code);
  showMessage(answer.outcome, answer.message);
  if (answer.result) { showFacts(answer.result); }
  if (answer.outcome === "redeemable") {
    askFor((answer.code && answer.code.needs) || [], answer.code);
  } else {
    $("confirm").hidden = true;
  }
  noteRedeemed(answer);
}

function noteRedeemed(answer) {
  if (["redeemed", "already_redeemed", "conflict"].includes(answer.outcome) && answer.code) {
    state.redeemedHere.add(answer.code.id);
  }
}

function showFacts(result) {
  const details = $("result-details");
  if (result.discount !== undefined && result.currency) {
    details.append(element("p", {className: "result-facts", text: format(T.voucher_applied, {
      discount: money(result.discount, result.currency),
      to_pay: money(result.to_pay, result.currency)})}));
  }
  if (result.order_state === "collected") {
    details.append(element("p", {className: "result-facts", text: T.order_collected}));
  }
}

// --- looking a code up, confirming it ---------------------------------------------------------

async function lookUp(text, source) {
  text = (text || "").trim();
  if (!text) { return; }
  if (!storeId()) {
    showMessage("no_store", T.choose_store);
    return;
  }
  camera.pause();
  const method = looksLikeHumanCode(text) ? "typed" : "scan";
  let body = null;
  try {
    body = looksLikePayload(text) ? readPayload(text) : null;
  } catch (error) {
    body = null;
  }
  state.current = {text, method, nonce: crypto.randomUUID(), body, source, offline: false};
  // A handheld scanner types the next code into the same field: start it empty. A typed
  // human code stays, for the staff member to correct.
  if (method === "scan") { $("manual-code").value = ""; }
  $("result-details").replaceChildren();
  $("confirm").hidden = true;
  showMessage("checking", T.checking, {tone: "info"});
  try {
    const {answer} = await post(urls.lookupUrl, {code: text, store_id: storeId(), method,
                                                 details: {}});
    if (state.current && state.current.text === text) { showAnswer(answer); }
  } catch (error) {
    if (error instanceof SessionEnded) {
      showMessage("session", T.session_ended);
    } else if (error instanceof Offline) {
      setReachable(false);
      await judgeHere(text, method);
    } else {
      throw error;
    }
  }
}

/** Judge a signed code on this phone; a refusal is shown. */
async function judgeLocally(text) {
  const verdict = await judgeOffline(text, {
    kit: state.kit, queued: await queue.pending(merchant), redeemedHere: state.redeemedHere,
    now: Date.now(), nobleUrl: urls.nobleUrl});
  if (verdict.outcome === "queued") {
    showMessage("queued", format(T.offline_twice, {time: clock(verdict.queued.scanned_at)}));
  } else if (verdict.outcome !== "redeemable") {
    showMessage(verdict.outcome, T.offline_outcomes[verdict.outcome] || T.invalid);
  }
  return verdict;
}

/** No server: check the code on this phone. */
async function judgeHere(text, method) {
  const current = state.current;
  current.offline = true;
  if (method === "typed") {
    showMessage("offline_typed", T.offline_typed);
    return;
  }
  if (!looksLikePayload(text)) {
    showMessage("invalid", T.invalid);
    return;
  }
  if (!state.kit) {
    showMessage("no_kit", T.no_kit);
    return;
  }
  const verdict = await judgeLocally(text);
  if (verdict.body) { describeOffline(verdict.body); }
  if (verdict.outcome !== "redeemable") { return; }
  current.body = verdict.body;
  showMessage("redeemable_offline", T.offline_valid, {tone: "success"});
  askFor(T.offline_needs[verdict.body.kind] || [], null, {paymentRequired: false});
}

async function confirmCurrent(event) {
  event.preventDefault();
  const current = state.current;
  if (!current) { return; }
  const form = $("confirm");
  if (!form.reportValidity()) { return; }
  $("confirm-button").disabled = true;
  const details = confirmedDetails();
  const scan = {code: current.text, store_id: storeId(), method: current.method,
                nonce: current.nonce, details};
  if (!current.offline) {
    try {
      const {answer} = await post(urls.redeemUrl, scan);
      showAnswer(answer);
      if (answer.outcome !== "redeemed") {
        current.nonce = crypto.randomUUID();  // a refusal is final for its nonce
        if (answer.outcome === "refused") {  // e.g. the payment box: fix it and confirm again
          askFor((answer.code && answer.code.needs) || [], answer.code);
        }
      }
      scheduleKitRefresh();
      return;
    } catch (error) {
      if (error instanceof SessionEnded) {
        showMessage("session", T.session_ended);
        $("confirm-button").disabled = false;
        return;
      }
      if (!(error instanceof Offline)) { throw error; }
      setReachable(false);
      // No answer: the server may or may not have it. A signed code is checked here and
      // queued with the same nonce (the sync then gets the first answer if there was one);
      // a typed code is tried again by the staff member, also with the same nonce.
      if (!current.body) {
        showMessage("offline_typed", T.offline_retry);
        $("confirm-button").disabled = false;
        return;
      }
      if ((await judgeLocally(current.text)).outcome !== "redeemable") { return; }
    }
  }
  await queue.add({...scan, merchant, scanned_at: new Date().toISOString(),
                   code_id: current.body.codeId, kind: current.body.kind,
                   subject_id: current.body.subjectId, store_name: storeName(storeId())});
  $("confirm").hidden = true;
  showMessage("accepted_offline", T.accepted_offline);
  await showPending();
}

// --- pending scans and sync -------------------------------------------------------------------

function scanLabel(scan) {
  const when = clock(scan.scanned_at);
  return `${kindLabel(scan.kind)} #${scan.subject_id} · ${scan.store_name} · ${when}`;
}

async function showPending() {
  const scans = await queue.pending(merchant);
  $("pending-count").textContent = String(scans.length);
  $("pending").dataset.count = String(scans.length);
  $("pending-empty").hidden = scans.length > 0;
  $("sync-now").hidden = scans.length === 0;
  $("pending-list").replaceChildren(...scans.map((scan) => element(
    "li", {text: scanLabel(scan), data: {nonce: scan.nonce}})));
  return scans;
}

function showSynced(scan, result) {
  const answer = result.answer || {};
  const outcome = answer.outcome || "error";
  const badge = element("span", {className: `badge badge-${outcome === "redeemed" ? "ok" : "bad"}`,
                                 text: T.outcomes[outcome] || outcome});
  const item = element("li", {className: `synced-${outcome}`, data: {nonce: scan.nonce, outcome}},
                       element("strong", {text: scanLabel(scan)}), " ", badge, " ",
                       element("span", {text: answer.message || ""}));
  $("synced").hidden = false;
  $("synced-list").prepend(item);
}

async function sync() {
  if (state.syncing || !navigator.onLine) { return; }
  let scans = await queue.pending(merchant);
  if (!scans.length) { return; }
  state.syncing = true;
  $("sync-status").textContent = T.syncing;
  try {
    await refreshToken();
    while (scans.length) {
      const batch = scans.slice(0, SYNC_BATCH);
      const {status, answer} = await post(urls.syncUrl, {scans: batch.map((scan) => ({
        code: scan.code, store_id: scan.store_id, nonce: scan.nonce, method: scan.method,
        scanned_at: scan.scanned_at, details: scan.details}))});
      if (status !== 200 || !Array.isArray(answer.results)) {
        $("sync-status").textContent = format(T.sync_failed, {message: answer.message || ""});
        return;
      }
      const byNonce = new Map(batch.map((scan) => [scan.nonce, scan]));
      for (const result of answer.results) {
        showSynced(byNonce.get(result.nonce), result);
        noteRedeemed(result.answer || {});
      }
      await queue.remove(answer.results.map((result) => result.nonce));
      scans = scans.slice(SYNC_BATCH);
    }
    $("sync-status").textContent = T.synced;
    scheduleKitRefresh();
  } catch (error) {
    if (error instanceof SessionEnded) {
      $("sync-status").textContent = T.session_ended;
    } else if (error instanceof Offline) {
      setReachable(false);
      $("sync-status").textContent = T.sync_later;
    } else {
      throw error;
    }
  } finally {
    state.syncing = false;
    await showPending();
  }
}

let kitTimer = null;

function scheduleKitRefresh() {
  clearTimeout(kitTimer);
  kitTimer = setTimeout(loadKit, 1000);
}

// --- wiring -----------------------------------------------------------------------------------

const camera = new Camera($("camera-video"), {
  jsqrUrl: urls.jsqrUrl,
  onText: (text) => lookUp(text, "camera"),
});

function chooseStore() {
  const select = $("store");
  const key = `redemption-scanner-store:${merchant}`;
  const wanted = new URLSearchParams(location.search).get("store") || localStorage.getItem(key);
  if (wanted && [...select.options].some((o) => o.value === wanted)) { select.value = wanted; }
  select.addEventListener("change", () => {
    localStorage.setItem(key, select.value);
    clearResult();
  });
}

$("camera-start").addEventListener("click", async () => {
  $("camera-status").textContent = T.camera_starting;
  try {
    await camera.start();
    $("camera-start").hidden = true;
    $("camera-stop").hidden = false;
    $("camera-status").textContent = T.camera_on;
  } catch (error) {
    camera.stop();
    $("camera-status").textContent = T.camera_failed;
  }
});

$("camera-stop").addEventListener("click", () => {
  camera.stop();
  $("camera-start").hidden = false;
  $("camera-stop").hidden = true;
  $("camera-status").textContent = "";
});

$("manual").addEventListener("submit", (event) => {
  event.preventDefault();
  lookUp($("manual-code").value, "manual");
});
$("confirm").addEventListener("submit", confirmCurrent);
$("result-close").addEventListener("click", clearResult);
$("sync-now").addEventListener("click", sync);

window.addEventListener("online", () => {
  setReachable(true);
  sync();
  loadKit();
});
window.addEventListener("offline", () => setReachable(false));

setInterval(() => { if (navigator.onLine) { loadKit(); } }, KIT_REFRESH_MS);
setInterval(() => {
  if (!navigator.onLine) { return; }
  if (!state.reachable) { refreshToken().catch(() => undefined); }  // back? the dot says so
  sync();
}, RETRY_SYNC_MS);

chooseStore();
setReachable(navigator.onLine);
registerWorker();  // not awaited: the page works without it, offline readiness shows when done
await Promise.all([loadKit(), showPending()]);
root.dataset.ready = "yes";
if (navigator.onLine) { await sync(); }
