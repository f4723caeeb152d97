// @ts-check
// A small SVG of the soak's samples: worker RSS and requests per second over time, with the warm-up and the
// windows where a region was down shaded. No plotting library: two polylines and their axes.

/**
 * @typedef {{ t: number, rssKiB: number, reqPerSec: number }} Sample  t: seconds since the start
 * @typedef {{ from: number, to: number }} Window
 */

/** @param {number} v */
function fmt(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** @param {string} s */
function escape(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * @param {{ title: string, subtitle: string, samples: Sample[], warmup: number, down: Window[], seconds: number }} run
 * @returns {string} the SVG document
 */
export function soakSvg(run) {
  const W = 760,
    H = 320,
    left = 60,
    right = 60,
    top = 56,
    bottom = 40;
  const plotW = W - left - right,
    plotH = H - top - bottom;
  const maxT = Math.max(run.seconds, 1);
  const rssMB = run.samples.map(function (s) {
    return s.rssKiB / 1024;
  });
  const rssTop = Math.max(1, ...rssMB) * 1.15;
  const rateTop =
    Math.max(
      1,
      ...run.samples.map(function (s) {
        return s.reqPerSec;
      }),
    ) * 1.15;
  /** @param {number} t */
  const x = function (t) {
    return left + (t / maxT) * plotW;
  };
  /** @param {number} v @param {number} topValue */
  const y = function (v, topValue) {
    return top + plotH - (v / topValue) * plotH;
  };
  /** @param {(s: Sample) => number} value @param {number} topValue */
  const line = function (value, topValue) {
    return run.samples
      .map(function (s) {
        return x(s.t).toFixed(1) + ',' + y(value(s), topValue).toFixed(1);
      })
      .join(' ');
  };
  const parts = [
    '<svg xmlns="http://www.w3.org/2000/svg" width="' +
      W +
      '" height="' +
      H +
      '" font-family="sans-serif" font-size="11">',
    '<rect width="100%" height="100%" fill="white"/>',
    '<text x="4" y="18" font-size="13">' + escape(run.title) + '</text>',
    '<text x="4" y="34">' + escape(run.subtitle) + '</text>',
    '<rect x="' +
      left +
      '" y="' +
      top +
      '" width="' +
      (x(Math.min(run.warmup, maxT)) - left).toFixed(1) +
      '" height="' +
      plotH +
      '" fill="#eee"/>',
    '<text x="' + (left + 4) + '" y="' + (top + 12) + '" fill="#888">warm-up</text>',
  ];
  for (const w of run.down) {
    parts.push(
      '<rect x="' +
        x(w.from).toFixed(1) +
        '" y="' +
        top +
        '" width="' +
        Math.max(1, x(w.to) - x(w.from)).toFixed(1) +
        '" height="' +
        plotH +
        '" fill="#fde2e2"/>',
    );
  }
  if (run.down.length)
    parts.push(
      '<text x="' +
        (x(run.down[0].from) + 2).toFixed(1) +
        '" y="' +
        (top + plotH - 6) +
        '" fill="#c44">region down</text>',
    );
  parts.push(
    '<rect x="' + left + '" y="' + top + '" width="' + plotW + '" height="' + plotH + '" fill="none" stroke="#999"/>',
    '<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="' +
      line(function (s) {
        return s.rssKiB / 1024;
      }, rssTop) +
      '"/>',
    '<polyline fill="none" stroke="#ff7f0e" stroke-width="1" points="' +
      line(function (s) {
        return s.reqPerSec;
      }, rateTop) +
      '"/>',
  );
  for (let i = 0; i <= 4; i++) {
    const fy = top + plotH - (i / 4) * plotH;
    parts.push(
      '<text x="' +
        (left - 6) +
        '" y="' +
        (fy + 4).toFixed(1) +
        '" text-anchor="end" fill="#1f77b4">' +
        fmt(Math.round(((rssTop * i) / 4) * 10) / 10) +
        '</text>',
    );
    parts.push(
      '<text x="' +
        (W - right + 6) +
        '" y="' +
        (fy + 4).toFixed(1) +
        '" fill="#ff7f0e">' +
        fmt(Math.round((rateTop * i) / 4)) +
        '</text>',
    );
    const t = Math.round((maxT * i) / 4);
    parts.push(
      '<text x="' + x(t).toFixed(1) + '" y="' + (H - bottom + 16) + '" text-anchor="middle">' + t + ' s</text>',
    );
  }
  parts.push(
    '<text x="4" y="' + (top - 8) + '" fill="#1f77b4">worker RSS, MB</text>',
    '<text x="' + (W - 4) + '" y="' + (top - 8) + '" text-anchor="end" fill="#ff7f0e">req/s</text>',
    '</svg>',
    '',
  );
  return parts.join('\n');
}
