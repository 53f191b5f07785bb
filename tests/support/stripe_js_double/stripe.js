// TEST DOUBLE of Stripe.js v3 (https://js.stripe.com/v3/) for the browser tests. It is NOT
// Stripe's code and never runs in production: the real script cannot load without the
// internet, so the card page would only say "could not be loaded". This file implements just
// the surface plugins/payment_stripe/static/pay.js uses, and keeps the rules of the real one
// that pay.js must follow (elements.submit() before createPaymentMethod, manual payment
// method creation), so a pay.js that breaks them fails here as it would with Stripe:
//
//   Stripe(key, {locale})
//     .elements({mode, amount, currency, captureMethod, paymentMethodCreation,
//                paymentMethodTypes})  -> {create("payment") -> {mount(selector)}, submit()}
//     .createPaymentMethod({elements})  -> {paymentMethod: {id, ...}} | {error: {message}}
//     .handleNextAction({clientSecret}) -> {paymentIntent} | {error: {message}}
//
// The Payment Element is three plain inputs in the page (Stripe's are in its own frames).
// Its calls go to the origin this script was loaded from (the card page's CSP allows only
// that one), where tests/support/stripe_js_double/__init__.py forwards them to localstripe:
//   POST /v1/payment_methods                      a real PaymentMethod on localstripe
//   POST /v1/payment_intents/<pi>/_authenticate   localstripe's stand-in for 3-D Secure
// What the page asked of it is kept in window.__stripeDouble for the tests to read.
(function () {
  "use strict";
  const scriptUrl = document.currentScript && document.currentScript.src;
  const apiOrigin = new URL(scriptUrl || window.location.href).origin;
  const record = { key: null, options: null, elementsOptions: null, mounted: null, calls: [] };
  window.__stripeDouble = record;

  class IntegrationError extends Error {
    constructor(message) { super(message); this.name = "IntegrationError"; }
  }

  async function callApi(key, path, fields) {
    const body = new URLSearchParams(fields);
    body.set("key", key);  // as Stripe.js does: the publishable key in the form
    let response;
    try {
      response = await fetch(apiOrigin + path, { method: "POST", body });
    } catch (failure) {
      return { error: { type: "api_connection_error",
                        message: "We could not reach Stripe. Check your connection." } };
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = answer.error || {};
      return { error: { type: error.type || "api_error", code: error.code,
                        message: error.message || `Stripe answered ${response.status}` } };
    }
    return { data: answer };
  }

  function field(parent, name, label, placeholder, autocomplete) {
    const wrapper = document.createElement("label");
    wrapper.style.display = "block";
    wrapper.textContent = label;
    const input = document.createElement("input");
    input.name = name;
    input.placeholder = placeholder;
    input.autocomplete = autocomplete;
    input.inputMode = "numeric";
    input.dataset.stripeDouble = name;
    wrapper.appendChild(input);
    parent.appendChild(wrapper);
    return input;
  }

  class PaymentElement {
    constructor(elements) { this.elements = elements; this.inputs = null; }

    mount(target) {
      const node = typeof target === "string" ? document.querySelector(target) : target;
      if (!node) throw new IntegrationError(`Mount point ${target} not found.`);
      node.replaceChildren();
      this.inputs = {
        number: field(node, "cardnumber", "Card number", "1234 1234 1234 1234", "cc-number"),
        expiry: field(node, "exp-date", "Expiration date", "MM / YY", "cc-exp"),
        cvc: field(node, "cvc", "Security code", "CVC", "cc-csc"),
      };
      this.elements.mounted = this;
      record.mounted = typeof target === "string" ? target : node.id;
    }

    // The card as typed, or the message Stripe's element shows for what is missing.
    read() {
      const number = this.inputs.number.value.replace(/\s+/g, "");
      const expiry = this.inputs.expiry.value.replace(/\s+/g, "").match(/^(\d{1,2})\/(\d{2})$/);
      const cvc = this.inputs.cvc.value.trim();
      if (!/^\d{16}$/.test(number)) return { error: "Your card number is incomplete." };
      if (!expiry) return { error: "Your card's expiration date is incomplete." };
      if (!/^\d{3}$/.test(cvc)) return { error: "Your card's security code is incomplete." };
      return { number, month: expiry[1], year: `20${expiry[2]}`, cvc };
    }
  }

  class Elements {
    constructor(stripe, options) {
      this.stripe = stripe;
      this.options = options || {};
      this.mounted = null;
      this.submitted = false;
    }

    create(type) {
      if (type !== "payment") throw new IntegrationError(`The double has no ${type} element.`);
      return new PaymentElement(this);
    }

    async submit() {
      record.calls.push("elements.submit");
      if (!this.mounted || !this.mounted.inputs) {
        throw new IntegrationError("elements.submit() needs a mounted Payment Element.");
      }
      const card = this.mounted.read();
      this.submitted = !card.error;
      return card.error ? { error: { type: "validation_error", message: card.error } } : {};
    }
  }

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    if (typeof key !== "string" || !key.startsWith("pk_")) {
      throw new IntegrationError("Stripe() needs a publishable key (pk_…).");
    }
    this.key = key;
    record.key = key;
    record.options = options || {};
  }

  Stripe.prototype.elements = function (options) {
    record.elementsOptions = options || {};
    return new Elements(this, options);
  };

  Stripe.prototype.createPaymentMethod = async function (params) {
    record.calls.push("createPaymentMethod");
    const elements = params && params.elements;
    if (!(elements instanceof Elements)) {
      throw new IntegrationError("createPaymentMethod: pass the {elements} that were submitted.");
    }
    if (elements.options.paymentMethodCreation !== "manual") {
      throw new IntegrationError(
        "createPaymentMethod with elements needs paymentMethodCreation: 'manual'.");
    }
    if (!elements.submitted) {
      return { error: { type: "invalid_request_error",
                        message: "elements.submit() must be called before createPaymentMethod()." } };
    }
    const card = elements.mounted.read();
    if (card.error) return { error: { type: "validation_error", message: card.error } };
    const made = await callApi(this.key, "/v1/payment_methods", {
      type: "card", "card[number]": card.number, "card[exp_month]": card.month,
      "card[exp_year]": card.year, "card[cvc]": card.cvc,
    });
    return made.error ? { error: made.error } : { paymentMethod: made.data };
  };

  // Real Stripe.js opens the bank's 3-D Secure dialog here; localstripe's _authenticate
  // endpoint is its stand-in (the customer passes the check).
  Stripe.prototype.handleNextAction = async function (params) {
    record.calls.push("handleNextAction");
    const secret = params && params.clientSecret;
    if (typeof secret !== "string" || !secret.includes("_secret_")) {
      throw new IntegrationError("handleNextAction needs the PaymentIntent's clientSecret.");
    }
    const intent = secret.split("_secret_")[0];
    const done = await callApi(this.key,
      `/v1/payment_intents/${encodeURIComponent(intent)}/_authenticate?success=true`,
      { client_secret: secret });
    return done.error ? { error: done.error } : { paymentIntent: done.data };
  };

  window.Stripe = Stripe;
})();
