// The card form: Stripe's Payment Element makes a PaymentMethod in Stripe's frames; our
// server authorizes with it and answers; 3-D Secure runs in Stripe's own dialog.
(function () {
  "use strict";
  const form = document.querySelector("[data-stripe-pay]");
  if (!form) return;
  const errorBox = form.querySelector("[data-card-error]");
  const button = form.querySelector("button[type=submit]");
  const show = (text) => { errorBox.textContent = text; errorBox.hidden = !text; };

  if (typeof window.Stripe !== "function") {  // Stripe's script did not load (offline)
    show(form.dataset.unavailable);
    return;
  }
  const stripe = window.Stripe(form.dataset.key, { locale: form.dataset.locale });
  const elements = stripe.elements({
    mode: "payment", amount: Number(form.dataset.amount), currency: form.dataset.currency,
    captureMethod: "manual", paymentMethodCreation: "manual", paymentMethodTypes: ["card"],
  });
  elements.create("payment").mount("#payment-element");
  button.disabled = false;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify(body),
    });
    return response.json().catch(() => ({ status: "failed", message: form.dataset.failed }));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    show("");
    try {
      const submitted = await elements.submit();
      if (submitted.error) throw submitted.error;
      const made = await stripe.createPaymentMethod({ elements });
      if (made.error) throw made.error;
      let answer = await post(form.dataset.payUrl, { payment_method: made.paymentMethod.id });
      if (answer.status === "requires_action") {
        await stripe.handleNextAction({ clientSecret: answer.client_secret });
        answer = await post(form.dataset.confirmUrl, {});
      }
      if (answer.status === "authorized" && answer.next) {
        window.location.assign(answer.next);
        return;
      }
      show(answer.message || form.dataset.failed);
    } catch (error) {
      show((error && error.message) || form.dataset.failed);
    }
    button.disabled = false;
  });
})();
