#include "curve_fit/plot_svg.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ascent {

namespace {

constexpr double kW = 880, kH = 540, kLeft = 70, kRight = 200, kTop = 40, kBottom = 60;
const char* const kColours[] = {"#1f5fbf", "#d0461f", "#2a9d3a", "#8e44ad", "#b8860b", "#117a8b"};

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

// "Nice" tick step for a span: 1, 2 or 5 times a power of ten, about `n` ticks.
double nice_step(double span, int n) {
  const double raw = span / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

std::string fmt_num(double v) {
  if (std::fabs(v) >= 1e7 || (std::fabs(v) < 1e-3 && v != 0)) return absl::StrFormat("%.3g", v);
  if (std::fabs(v) >= 100) return absl::StrFormat("%.0f", v);
  return absl::StrFormat("%.4g", v);
}

struct Frame {
  double x0, x1, y0, y1;
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (kW - kLeft - kRight); }
  double py(double y) const { return kH - kBottom - (y - y0) / (y1 - y0) * (kH - kTop - kBottom); }
};

std::string polyline(const std::vector<std::pair<double, double>>& pts) {
  std::string s;
  for (auto [x, y] : pts) absl::StrAppendFormat(&s, "%.1f,%.1f ", x, y);
  return s;
}

}  // namespace

std::string plot_svg(const std::vector<RunFit>& runs, const FitContext& ctx) {
  double cmax_data = 0, ylo = INFINITY, yhi = -INFINITY, dmin = INFINITY, dmax = -INFINITY;
  for (const RunFit& r : runs) {
    for (const Points& p : r.data.seeds) {
      for (size_t i = 0; i < p.C.size(); ++i) {
        cmax_data = std::max(cmax_data, p.C[i]);
        ylo = std::min(ylo, p.R[i]), yhi = std::max(yhi, p.R[i]);
        dmin = std::min(dmin, p.R[i]), dmax = std::max(dmax, p.R[i]);
      }
    }
    ylo = std::min({ylo, r.report.A.lo, r.report.R0.value});
    yhi = std::max(yhi, r.report.A.hi);
    for (size_t i = 0; i < r.report.predictions.size(); ++i) {
      if (!r.report.unpinned[i].empty()) continue;  // a declined [0, 1] would flatten the plot
      ylo = std::min(ylo, r.report.predictions[i].lo), yhi = std::max(yhi, r.report.predictions[i].hi);
    }
  }
  const double xmax = std::max(cmax_data, ctx.predict_c) * 1.05;
  const double ypad = std::max(0.02, (yhi - ylo) * 0.08);
  const double ystep = nice_step(yhi - ylo + 2 * ypad, 6), xstep = nice_step(xmax, 6);
  Frame f{0, std::ceil(xmax / xstep) * xstep, std::floor((ylo - ypad) / ystep) * ystep,
          std::ceil((yhi + ypad) / ystep) * ystep};
  // Pass rates: the axes stop at 0 and 1 unless the data go beyond.
  if (f.y1 > 1 && dmax <= 1) f.y1 = 1;
  if (f.y0 < 0 && dmin >= 0) f.y0 = 0;

  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"13\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kW, kH, kW, kH);
  absl::StrAppendFormat(&s,
                        "<text x=\"%.0f\" y=\"24\" font-size=\"16\">%s vs %s: sigmoid fit R0 + (A - R0) / (1 "
                        "+ (C_mid/C)^B)</text>\n",
                        kLeft, esc(ctx.y), esc(ctx.x));
  // Grid and ticks.
  for (double x = f.x0; x <= f.x1 + 1e-9 * f.x1; x += xstep) {
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                          f.px(x), f.py(f.y0), f.px(x), f.py(f.y1), f.px(x), f.py(f.y0) + 18, fmt_num(x));
  }
  for (double y = f.y0; y <= f.y1 + 1e-9; y += ystep) {
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          f.px(f.x0), f.py(y), f.px(f.x1), f.py(y), f.px(f.x0) - 6, f.py(y) + 4, fmt_num(y));
  }
  absl::StrAppendFormat(
      &s,
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n"
      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n"
      "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
      f.px(f.x0), f.py(f.y1), f.px(f.x1) - f.px(f.x0), f.py(f.y0) - f.py(f.y1), (f.px(f.x0) + f.px(f.x1)) / 2,
      kH - 16, esc(ctx.x), (f.py(f.y0) + f.py(f.y1)) / 2, esc(ctx.y));
  if (ctx.c_min > 0) {
    absl::StrAppendFormat(
        &s,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"2,3\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" fill=\"#777\">C_min</text>\n",
        f.px(ctx.c_min), f.py(f.y0), f.px(ctx.c_min), f.py(f.y1), f.px(ctx.c_min) + 3, f.py(f.y1) + 14);
  }

  for (size_t k = 0; k < runs.size(); ++k) {
    const RunFit& r = runs[k];
    const char* col = kColours[k % std::size(kColours)];
    double run_cmax = 0;
    for (const Points& p : r.data.seeds) {
      for (double c : p.C) run_cmax = std::max(run_cmax, c);
    }
    // Band and curve on a grid of C (first sample just above 0: the law is R0 there). The band is the hull of
    // the bootstrap's and the profile interval (as the table's intervals); the profile, costlier, is computed
    // at every 10th C and interpolated.
    const int n = 200, every = 10;
    std::vector<Interval> profile(n / every + 1);
    for (int j = 0; j <= n / every; ++j)
      profile[j] = report_band_profile(r.report, std::max(f.x1 * j * every / n, f.x1 * 1e-4));
    std::vector<std::pair<double, double>> lo, hi, solid, dashed;
    for (int i = 0; i <= n; ++i) {
      const double C = std::max(f.x1 * i / n, f.x1 * 1e-4);
      Interval band = report_band(r.report, C);
      const int j = std::min(i / every, n / every - 1);
      const double t = static_cast<double>(i - j * every) / every;
      band.lo = std::min(band.lo, profile[j].lo * (1 - t) + profile[j + 1].lo * t);
      band.hi = std::max(band.hi, profile[j].hi * (1 - t) + profile[j + 1].hi * t);
      band.lo = std::max(band.lo, f.y0), band.hi = std::min(band.hi, f.y1);  // inside the axes
      lo.push_back({f.px(C), f.py(band.lo)});
      hi.push_back({f.px(C), f.py(band.hi)});
      const std::pair<double, double> pt{f.px(C), f.py(band.value)};
      if (C <= run_cmax) solid.push_back(pt);
      if (C >= run_cmax || (i + 1 <= n && f.x1 * (i + 1) / n > run_cmax)) dashed.push_back(pt);
    }
    std::reverse(lo.begin(), lo.end());
    absl::StrAppendFormat(&s, "<g class=\"run\" data-label=\"%s\">\n", esc(r.data.label));
    absl::StrAppendFormat(
        &s, "<polygon class=\"band\" points=\"%s%s\" fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\"/>\n",
        polyline(hi), polyline(lo), col);
    absl::StrAppendFormat(&s,
                          "<line class=\"asymptote\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "stroke=\"%s\" stroke-dasharray=\"1,4\" stroke-width=\"1.5\"/>\n",
                          f.px(f.x0), f.py(r.report.A.value), f.px(f.x1), f.py(r.report.A.value), col);
    absl::StrAppendFormat(
        &s, "<polyline class=\"fit\" points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"/>\n",
        polyline(solid), col);
    absl::StrAppendFormat(&s,
                          "<polyline class=\"extrapolation\" points=\"%s\" fill=\"none\" stroke=\"%s\" "
                          "stroke-width=\"2.5\" stroke-dasharray=\"8,6\"/>\n",
                          polyline(dashed), col);
    for (const Points& p : r.data.seeds) {
      for (size_t i = 0; i < p.C.size(); ++i) {
        const bool used = p.C[i] > 0 && p.C[i] >= ctx.c_min;
        absl::StrAppendFormat(&s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\" stroke=\"%s\"/>\n",
                              f.px(p.C[i]), f.py(p.R[i]), used ? col : "white", col);
      }
    }
    if (!r.report.predictions.empty()) {
      const Interval& iv = r.report.predictions[0];
      const double x = f.px(ctx.predict_c);
      absl::StrAppendFormat(&s,
                            "<path class=\"prediction\" d=\"M%.1f %.1fV%.1fM%.1f %.1fh10M%.1f %.1fh10\" "
                            "stroke=\"%s\" stroke-width=\"2\"/>"
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\"/>\n",
                            x, f.py(iv.lo), f.py(iv.hi), x - 5, f.py(iv.lo), x - 5, f.py(iv.hi), col, x - 4,
                            f.py(iv.value) - 4,
                            r.report.unpinned[0].empty() ? col : "white");  // hollow: declined
    }
    // Legend entry.
    const double ly = kTop + 20 + 58.0 * k;
    absl::StrAppendFormat(
        &s,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>"
        "<text x=\"%.1f\" y=\"%.1f\">%s</text>"
        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">A %.3f [%.3f, %.3f]</text>"
        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">B %.2f, C_mid %s</text>\n",
        kW - kRight + 60, ly, kW - kRight + 80, ly, col, kW - kRight + 86, ly + 4, esc(r.data.label),
        kW - kRight + 60, ly + 20, r.report.A.value, r.report.A.lo, r.report.A.hi, kW - kRight + 60, ly + 36,
        r.report.B.value, fmt_num(r.report.C_mid.value));
    s += "</g>\n";
  }
  const double ly = kTop + 20 + 58.0 * runs.size();
  absl::StrAppendFormat(
      &s,
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">solid: fit over the data</text>"
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">dashed: extrapolation</text>"
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">band: %.0f%% interval</text>"
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">dotted: asymptote A</text>\n",
      kW - kRight + 60, ly, kW - kRight + 60, ly + 16, kW - kRight + 60, ly + 32,
      100 * (runs.empty() ? 0.95 : runs[0].report.level), kW - kRight + 60, ly + 48);
  s += "</svg>\n";
  return s;
}

std::string plot_html(const std::string& svg, const std::vector<RunFit>& runs,
                      const std::vector<Comparison>& comparisons, const FitContext& ctx) {
  std::string h = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ascent fit: ", esc(ctx.y),
      " vs ", esc(ctx.x),
      "</title>\n<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:4px "
      "10px;text-align:right;white-space:nowrap}th{background:#f4f4f4}"
      "td:first-child{text-align:left}.warn{color:#a05000}</style></head>\n<body>\n<h1>ascent fit</h1>\n",
      svg, "<table><tr><th>run</th><th>points</th><th>A</th><th>B</th><th>C_mid</th><th>R0</th>");
  if (ctx.predict_c > 0) absl::StrAppend(&h, "<th>R(", fmt_num(ctx.predict_c), ")</th>");
  h += "</tr>\n";
  for (const RunFit& r : runs) {
    absl::StrAppend(&h, "<tr><td>", esc(r.data.label), "</td><td>", r.report.fit.n_points, "</td><td>",
                    interval_text(r.report.A, 'f', 3), "</td><td>", interval_text(r.report.B, 'f', 2),
                    "</td><td>", interval_text(r.report.C_mid, 'g', 4), "</td><td>",
                    absl::StrFormat("%.3f", r.report.R0.value), "</td>");
    if (!r.report.predictions.empty()) {
      const Interval& iv = r.report.predictions[0];
      absl::StrAppend(&h, "<td>",
                      r.report.unpinned[0].empty() ? interval_text(iv, 'f', 3)
                                                   : absl::StrFormat("not pinned [%.3f, %.3f]: %s", iv.lo,
                                                                     iv.hi, esc(r.report.unpinned[0])),
                      "</td>");
    }
    h += "</tr>\n";
  }
  absl::StrAppend(&h, "</table>\n<p>Intervals: ", runs.empty() ? 95 : 100 * runs[0].report.level,
                  "%; A and the prediction: the hull of profile likelihood and bootstrap; B and C_mid: "
                  "bootstrap. Run-to-run noise on A (ScaleRL): &plusmn;0.02.</p>\n");
  for (const Comparison& c : comparisons) absl::StrAppend(&h, "<p><b>", esc(c.result.verdict), "</b></p>\n");
  for (const RunFit& r : runs) {
    for (const std::string& w : r.data.warnings)
      absl::StrAppend(&h, "<p class=\"warn\">", esc(r.data.label), ": ", esc(w), "</p>\n");
    for (const std::string& w : r.report.fit.warnings)
      absl::StrAppend(&h, "<p class=\"warn\">", esc(r.data.label), ": ", esc(w), "</p>\n");
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace ascent
