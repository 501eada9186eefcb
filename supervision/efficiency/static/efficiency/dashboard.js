/* The efficiency dashboard: one fetch of the rollup data, ten ECharts charts, no other network. */
(function () {
  "use strict";
  var script = document.getElementById("efficiency-dashboard-script");
  var labels = JSON.parse(document.getElementById("efficiency-labels").textContent);
  var statusLine = document.getElementById("efficiency-status");
  var locale = script.getAttribute("data-locale") || "ZH";
  var palette = ["#0b4a8b", "#b3261e", "#1e6b34", "#b35c00", "#6f42c1", "#0a7c86", "#57606a"];
  var charts = [];

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function count(value) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString(locale === "EN" ? "en" : "zh-CN");
  }

  function chart(id, option) {
    var element = document.getElementById("chart-" + id);
    if (!element) { return; }
    var instance = echarts.init(element, null, {renderer: "canvas", locale: locale});
    option.color = option.color || palette;
    option.textStyle = {fontFamily: getComputedStyle(document.body).fontFamily};
    option.animation = false;
    instance.setOption(option);
    charts.push(instance);
  }

  function empty(id) {
    var element = document.getElementById("chart-" + id);
    if (element) {
      element.classList.add("chart-empty");
      element.textContent = labels.empty;
    }
  }

  function ranking(id, rows, asPercent, name) {
    if (!rows.length) { empty(id); return; }
    var ordered = rows.slice().reverse();
    chart(id, {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"},
                valueFormatter: function (v) { return asPercent ? percent(v) : v; }},
      grid: {left: 8, right: 48, top: 8, bottom: 8, containLabel: true},
      xAxis: {type: "value", max: asPercent ? 1 : null,
              axisLabel: {formatter: function (v) { return asPercent ? Math.round(v * 100) + "%" : v; }}},
      yAxis: {type: "category", data: ordered.map(function (r) { return r.name; }),
              axisLabel: {width: 150, overflow: "truncate"}},
      series: [{name: name, type: "bar", barMaxWidth: 24, data: ordered.map(function (r) { return r.value; }),
                label: {show: true, position: "right",
                        formatter: function (p) { return asPercent ? percent(p.value) : p.value; }}}]
    });
  }

  function totals(data) {
    var t = data.totals;
    var boxes = [
      [labels.received, count(t.received)], [labels.accepted, count(t.accepted)], [labels.concluded, count(t.concluded)],
      [labels.early_rate, percent(t.early_rate)], [labels.on_time_rate, percent(t.on_time_rate)],
      [labels.overdue, count(t.overdue)], [labels.online_rate, percent(t.online_rate)],
      [labels.satisfaction_rate, percent(t.satisfaction_rate)], [labels.compression, percent(t.compression)],
      [labels.licences_issued, count(t.licences_issued)], [labels.materials_reused, count(t.materials_reused)]
    ];
    var container = document.getElementById("efficiency-totals");
    container.textContent = "";
    boxes.forEach(function (box) {
      var div = document.createElement("div");
      div.className = "summary-box";
      var label = document.createElement("span");
      label.className = "summary-label";
      label.textContent = box[0];
      var value = document.createElement("span");
      value.className = "summary-value";
      value.textContent = box[1];
      div.appendChild(label);
      div.appendChild(value);
      container.appendChild(div);
    });
  }

  function draw(data) {
    totals(data);
    chart("volume", {
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.months},
      yAxis: {type: "value"},
      series: [
        {name: labels.received, type: "line", data: data.volume.received, symbolSize: 7},
        {name: labels.accepted, type: "bar", barMaxWidth: 28, data: data.volume.accepted},
        {name: labels.concluded, type: "bar", barMaxWidth: 28, data: data.volume.concluded}
      ]
    });
    var channels = data.channels.filter(function (c) { return c.accepted > 0; });
    if (channels.length) {
      chart("channels", {
        tooltip: {trigger: "item"},
        legend: {bottom: 0},
        series: [{name: labels.accepted, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
                  label: {formatter: "{b}\n{d}%"},
                  data: channels.map(function (c) { return {name: c.label, value: c.accepted}; })}]
      });
    } else { empty("channels"); }
    if (data.top_departments.length) {
      var departments = data.top_departments.slice().reverse();
      chart("top-departments", {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        legend: {top: 0},
        grid: {left: 8, right: 24, top: 32, bottom: 8, containLabel: true},
        xAxis: {type: "value"},
        yAxis: {type: "category", data: departments.map(function (d) { return d.name; }),
                axisLabel: {width: 150, overflow: "truncate"}},
        series: [
          {name: labels.accepted, type: "bar", barMaxWidth: 16, data: departments.map(function (d) { return d.accepted; })},
          {name: labels.concluded, type: "bar", barMaxWidth: 16, data: departments.map(function (d) { return d.concluded; })}
        ]
      });
    } else { empty("top-departments"); }
    ranking("top-items", data.top_items.map(function (i) { return {name: i.name, value: i.accepted}; }),
            false, labels.accepted);
    ranking("early", data.early_ranking, true, labels.early_rate);
    ranking("overdue", data.overdue_ranking, false, labels.overdue);
    ranking("compression", data.compression_ranking, true, labels.compression);
    ranking("satisfaction", data.satisfaction_ranking, true, labels.satisfaction_rate);
    ranking("online", data.online_ranking, true, labels.online_rate);
    chart("licences", {
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.months},
      yAxis: {type: "value"},
      series: [
        {name: labels.licences_issued, type: "bar", barMaxWidth: 28, data: data.licences.issued},
        {name: labels.materials_reused, type: "line", data: data.licences.reused, symbolSize: 7}
      ]
    });
    statusLine.textContent = "";
    statusLine.hidden = true;
  }

  fetch(script.getAttribute("data-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error ? body.error.message : response.statusText); }
        return body;
      });
    })
    .then(draw)
    .catch(function (error) {
      statusLine.textContent = labels.error + error.message;
      statusLine.classList.add("field-error");
    });

  window.addEventListener("resize", function () {
    charts.forEach(function (instance) { instance.resize(); });
  });
}());
