// New product form: an "Add a variant" button that appends one more blank variant row.
// Without JavaScript the form still works with the blank rows the server renders.
(function () {
  "use strict";
  var button = document.getElementById("add-variant");
  var container = document.getElementById("variant-rows");
  if (!button || !container) {
    return;
  }
  var ROW_PREFIX = /variants\[\d+\]\./g;

  function renumber(element, index) {
    ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
      var value = element.getAttribute(attribute);
      if (value) {
        element.setAttribute(attribute, value.replace(ROW_PREFIX, "variants[" + index + "]."));
      }
    });
  }

  function addRow() {
    var rows = container.querySelectorAll(".variant-row");
    var last = rows[rows.length - 1];
    var index = rows.length === 0 ? 0 : Number(last.getAttribute("data-index")) + 1;
    var row = last.cloneNode(true);
    row.setAttribute("data-index", String(index));
    row.querySelectorAll("input, select, textarea, label").forEach(function (element) {
      renumber(element, index);
      element.removeAttribute("aria-invalid");
      if (element.type === "checkbox") {
        element.checked = false;
      } else if (element.tagName !== "LABEL") {
        element.value = "";
      }
    });
    row.querySelectorAll(".field-error").forEach(function (message) {
      message.remove();
    });
    var number = row.querySelector(".variant-number");
    if (number) {
      number.textContent = String(rows.length + 1);
    }
    container.appendChild(row);
    var first = row.querySelector("input");
    if (first) {
      first.focus();
    }
  }

  button.hidden = false;
  button.addEventListener("click", addRow);
})();
