// sqe analysis report: region labels in lanes, zoom, time axis, playhead, and click-to-play of regions.
"use strict";
(function () {
  const LANE_GAP = 6; // px between labels in one lane
  const NICE = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

  function clock(t, step) {
    const digits = step < 1 ? 1 : 0;
    if (t < 60) return t.toFixed(digits) + " s";
    const m = Math.floor(t / 60), s = t - 60 * m;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(digits);
  }

  function setup(section) {
    const duration = parseFloat(section.dataset.duration);
    const audio = section.querySelector("audio");
    const canvas = section.querySelector(".canvas");
    const rows = Array.from(section.querySelectorAll("tr.region-row"));
    const boxes = Array.from(section.querySelectorAll(".region"));
    const labels = Array.from(section.querySelectorAll(".region-label"));
    let stopAt = null;

    function mark(index) {
      for (const el of [...rows, ...boxes, ...labels]) {
        el.classList.toggle("active", index !== null && el.dataset.index === String(index));
      }
    }

    function play(index) {
      const row = rows[index];
      const onset = parseFloat(row.dataset.onset), offset = parseFloat(row.dataset.offset);
      mark(index);
      if (!audio) return;
      const stop = section.querySelector(".stop-at-end");
      stopAt = stop && stop.checked ? offset : null;
      const start = () => {
        audio.currentTime = onset;
        const p = audio.play();
        if (p && p.catch) p.catch(() => {}); // playback may be refused (no sound device); the seek stands
      };
      if (audio.readyState >= 1) start();
      else audio.addEventListener("loadedmetadata", start, { once: true });
    }

    for (const el of [...rows, ...boxes, ...labels]) {
      el.addEventListener("click", () => play(parseInt(el.dataset.index, 10)));
    }
    for (const row of rows) {
      row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); play(parseInt(row.dataset.index, 10)); } });
    }
    if (!audio || !canvas) return;

    const scroll = section.querySelector(".scroll");
    const spec = section.querySelector(".spec");
    const lanes = section.querySelector(".lanes");
    const axis = section.querySelector(".axis");
    const playhead = section.querySelector(".playhead");
    const zoom = section.querySelector(".zoom");

    function layout() {
      const fit = scroll.clientWidth;
      const pps = zoom.value === "fit" ? fit / duration : parseFloat(zoom.value);
      const width = Math.max(fit, Math.round(pps * duration));
      canvas.style.width = width + "px";
      // labels: each at its region's onset, in the first lane where it covers no other label
      const ends = [];
      const order = labels.slice().sort((a, b) => parseFloat(a.dataset.onset) - parseFloat(b.dataset.onset));
      for (const label of order) {
        const w = label.offsetWidth;
        let left = Math.min(width * parseFloat(label.dataset.onset) / duration, width - w);
        left = Math.max(0, left);
        let lane = ends.findIndex((end) => end + LANE_GAP <= left);
        if (lane < 0) { lane = ends.length; ends.push(0); }
        ends[lane] = left + w;
        label.style.left = left + "px";
        label.style.top = "calc(" + lane + " * var(--lane))";
      }
      lanes.style.height = "calc(" + ends.length + " * var(--lane))";
      // time axis: a tick at least 70 px from the next
      const step = NICE.find((s) => s * width / duration >= 70) || 7200;
      axis.textContent = "";
      for (let t = 0; t <= duration + 1e-9; t += step) {
        const tick = document.createElement("span");
        tick.style.left = (100 * t / duration) + "%";
        tick.textContent = clock(t, step);
        // the first and last labels stay inside the canvas (no scroll bar in the whole-file view)
        if (t === 0) tick.style.transform = "none";
        else if ((duration - t) * width / duration < 35) tick.style.transform = "translateX(-100%)";
        axis.appendChild(tick);
      }
    }

    function follow() {
      const t = audio.currentTime;
      playhead.style.left = (100 * t / duration) + "%";
      const x = canvas.clientWidth * t / duration;
      if (!audio.paused && (x < scroll.scrollLeft || x > scroll.scrollLeft + scroll.clientWidth - 20)) {
        scroll.scrollLeft = Math.max(0, x - scroll.clientWidth / 4);
      }
      if (stopAt !== null && t >= stopAt) { audio.pause(); stopAt = null; }
    }

    spec.addEventListener("click", (e) => {
      if (e.target.classList.contains("region")) return;
      const rect = spec.getBoundingClientRect();
      audio.currentTime = duration * (e.clientX - rect.left) / rect.width;
      stopAt = null;
      mark(null);
    });
    audio.addEventListener("timeupdate", follow);
    audio.addEventListener("seeked", follow);
    zoom.addEventListener("change", layout);
    window.addEventListener("resize", layout);
    layout();
  }

  document.querySelectorAll("section.file").forEach(setup);
  document.documentElement.dataset.ready = "true"; // for tests and scripts: layout done
})();
