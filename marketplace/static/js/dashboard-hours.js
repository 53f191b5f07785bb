// Weekly opening-hours editor on the dashboard store page.
// Without this script every weekday offers its stored intervals plus two empty rows; with it,
// "Add interval" appends another row and "Remove" empties one (the server ignores empty rows).
(function () {
  "use strict";

  var FIELD = /^hours-(\d)-(\d+)-(opens|closes|overnight)$/;

  function clearRow(row) {
    row.querySelectorAll("input").forEach(function (input) {
      if (input.type === "checkbox") {
        input.checked = false;
      } else {
        input.value = "";
      }
      input.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".field-error").forEach(function (message) { message.remove(); });
  }

  function nextIndex(day) {
    var highest = -1;
    day.querySelectorAll("input[name]").forEach(function (input) {
      var match = FIELD.exec(input.name);
      if (match) {
        highest = Math.max(highest, parseInt(match[2], 10));
      }
    });
    return highest + 1;
  }

  function renumber(row, weekday, index) {
    row.querySelectorAll("input[name]").forEach(function (input) {
      var match = FIELD.exec(input.name);
      if (!match) {
        return;
      }
      var name = "hours-" + weekday + "-" + index + "-" + match[3];
      var label = row.querySelector('label[for="' + input.id + '"]');
      input.name = name;
      input.id = "f-" + name;
      if (label) {
        label.htmlFor = input.id;
      }
    });
  }

  function visibleRows(day) {
    return Array.prototype.filter.call(day.querySelectorAll("[data-hours-row]"),
      function (row) { return !row.hidden; });
  }

  document.querySelectorAll("[data-hours-day]").forEach(function (day) {
    var weekday = day.getAttribute("data-hours-day");
    var add = day.querySelector("[data-add-interval]");
    day.querySelectorAll("[data-remove-interval]").forEach(function (button) {
      button.hidden = false;
    });
    if (!add) {
      return;
    }
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = day.querySelectorAll("[data-hours-row]");
      var last = rows[rows.length - 1];
      var row = last.cloneNode(true);
      row.hidden = false;
      renumber(row, weekday, nextIndex(day));
      clearRow(row);
      last.after(row);
      row.querySelector("input").focus();
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-interval]");
    if (!button) {
      return;
    }
    var row = button.closest("[data-hours-row]");
    var day = button.closest("[data-hours-day]");
    clearRow(row);
    // Keep one row per day on screen so "Add interval" has something to copy from.
    if (visibleRows(day).length > 1) {
      row.hidden = true;
      var add = day.querySelector("[data-add-interval]");
      if (add) {
        add.focus();
      }
    }
  });
}());
