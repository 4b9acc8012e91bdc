// FlowScene's geometry: where the nodes go for a viewport and a zoom, where a dot is on its route, and
// what is under a point. Kept apart from the event handling in FlowScene.cpp.
#include "FlowScene.h"

#include <algorithm>
#include <cmath>

namespace lab {

namespace {
// Where in a node a request waits: one of 12 fixed spots (two columns of six), so dots waiting at the same
// node stand side by side instead of on top of each other. Spots are a dot's width apart (11 px at scale
// 1), so two waiting dots never hide each other in a node tall enough.
struct Spot {
    double across; // -6 or +6
    double along; // -27.5 .. +27.5
    double wide; // -60.5 .. +60.5, for the proxy's lane
};
Spot spotOf(quint64 requestId, double scale)
{
    const int slot = int(requestId % 12);
    return {(double(slot % 2) * 12 - 6) * scale, (double(slot / 2) - 2.5) * 11 * scale,
            (double(slot) - 5.5) * 11 * scale};
}

// std::clamp with a floor that wins when the range is empty (a viewport smaller than the preferred minimum).
double fit(double value, double low, double high)
{
    return qMax(low, qMin(high, value));
}

// The point at fraction t (0..1) of the way along a polyline, by length.
QPointF along(const QList<QPointF>& points, double t)
{
    double total = 0;
    for (qsizetype i = 1; i < points.size(); ++i)
        total += std::hypot(points[i].x() - points[i - 1].x(), points[i].y() - points[i - 1].y());
    if (total <= 0)
        return points.first();
    double left = t * total;
    for (qsizetype i = 1; i < points.size(); ++i) {
        const QPointF d = points[i] - points[i - 1];
        const double len = std::hypot(d.x(), d.y());
        if (left <= len && len > 0)
            return points[i - 1] + d * (left / len);
        left -= len;
    }
    return points.last();
}
} // namespace

void FlowScene::setViewport(QSizeF size)
{
    m_size = size;
    relayout();
}

void FlowScene::setMetrics(double scale, double lineHeight)
{
    scale = std::clamp(scale, 0.5, 4.0);
    if (scale == m_scale && lineHeight == m_lineHeight)
        return;
    m_scale = scale;
    m_lineHeight = qMax(6.0, lineHeight);
    relayout();
}

void FlowScene::setTextRows(int headerLines, int legendLines, int proxyLines)
{
    headerLines = std::clamp(headerLines, 1, 3);
    // The legend takes every row its entries wrap to (trial 7 at 1024 px lost the last five to a cap of
    // 3): the canvas grows and the view scrolls rather than drop one.
    legendLines = std::clamp(legendLines, 1, 16);
    proxyLines = std::clamp(proxyLines, 1, 40);
    if (headerLines == m_headerLines && legendLines == m_legendLines && proxyLines == m_proxyLines)
        return;
    m_headerLines = headerLines;
    m_legendLines = legendLines;
    m_proxyLines = proxyLines;
    relayout();
}

void FlowScene::setCardLines(int lines)
{
    lines = std::clamp(lines, 1, 20);
    if (lines == m_cardLines)
        return;
    m_cardLines = lines;
    relayout();
}

void FlowScene::setClientLabelWidth(double px)
{
    if (px == m_clientLabelWidth)
        return;
    m_clientLabelWidth = qMax(0.0, px);
    relayout();
}

QRectF FlowScene::cardText(int index) const
{
    const QRectF r = m_layout.backends.value(index);
    const QRectF parking = m_layout.parking.value(index);
    const double x = parking.right() + 5 * m_scale;
    return QRectF(x, r.top() + 4, qMax(0.0, r.right() - 6 * m_scale - x), qMax(0.0, r.height() - 7));
}

void FlowScene::relayout()
{
    const double s = m_scale;
    const double line = m_lineHeight;
    const double margin = 6 + 4 * s;
    const double gap = 6 * s;
    const double w = qMax(200.0, m_size.width());
    const double h = qMax(160.0, m_size.height());
    m_layout.header = QRectF(margin, margin, w - 2 * margin, m_headerLines * line + 2);
    const double legendH = m_legendLines * line + 2;
    m_layout.legend = QRectF(margin, h - margin - legendH, w - 2 * margin, legendH);
    const double top = m_layout.header.bottom() + gap;
    const double bodyH = qMax(40.0, m_layout.legend.top() - gap - top);
    const double midY = top + bodyH / 2;

    // Columns: each has a preferred width that grows with the view (a big window shows bigger nodes, not
    // the same ones lost in white) within bounds that grow with the zoom. When they do not fit between the
    // margins with room for the legs, all three shrink by the same factor: smaller, never overlapping.
    double cw = fit(w * 0.09, 70 * s, 130 * s);
    double pw = fit(w * 0.28, 190 * s, 400 * s);
    double bw = fit(w * 0.32, 220 * s, 440 * s);
    const double legMin = 2 * (kDotRadius + 6) * s; // between two columns: a dot's road and its hop bend
    const double room = w - 2 * margin - 2 * legMin;
    if (cw + pw + bw > room) {
        const double f = qMax(0.1, room / (cw + pw + bw));
        cw *= f;
        pw *= f;
        bw *= f;
    }
    if (const double want = m_clientLabelWidth + 10; cw < want) { // at most a third of the proxy's width
        const double take = qMin(want - cw, pw / 3);
        cw += take;
        pw -= take;
    }
    // The client holds its label and, under it, a dot's height at least for the requests waiting there.
    const double ch =
        qMin(bodyH, fit(bodyH * 0.14, qMax(56 * s, line + 2 * kDotRadius * s + 14), qMax(100 * s, 3 * line)));
    m_layout.client = QRectF(margin, midY - ch / 2, cw, ch);
    m_layout.clientLabel = QRectF(margin + 4, m_layout.client.top() + 3, qMax(0.0, cw - 8), line);
    const double bx = w - margin - bw;
    // The proxy holds the picks' text: the latest explanation, the strip of picks and, in step mode, the
    // candidates. It is as tall as that text (and at least a third of the body), within the body.
    const double inset = 4 + 4 * s;
    const double titleH = line + 6;
    const double textH = m_proxyLines * line + 10;
    const double ph = qMin(bodyH, qMax(titleH + 28 * s + 4 + textH, qMax(bodyH / 3, 110 * s)));
    const double px = m_layout.client.right() + (bx - m_layout.client.right() - pw) / 2;
    m_layout.proxy = QRectF(px, midY - ph / 2, pw, ph);
    const double laneH = qMin(28 * s, qMax(0.0, ph - titleH - 8));
    m_layout.proxyLane = QRectF(px + inset, m_layout.proxy.top() + titleH, pw - 2 * inset, laneH);
    m_layout.proxyText = QRectF(px + inset, m_layout.proxyLane.bottom() + 4, pw - 2 * inset,
                                qMax(0.0, m_layout.proxy.bottom() - m_layout.proxyLane.bottom() - 8));

    m_layout.backends.clear();
    m_layout.parking.clear();
    m_requiredHeight = 0;
    const qsizetype n = m_backends.size();
    if (n == 0)
        return;
    // A card wants its name, its figures whole (m_cardLines, measured by the canvas) and its slots. It
    // is never shorter than that: when the body cannot hold every card so, the cards overflow it and the
    // diagram asks for the height (requiredHeight) instead of cutting a figure.
    const double need = 4 + line + m_cardLines * line + 2 + 10 * s + 4 + 3;
    const double wanted =
        qMax(need, fit(bodyH * 0.2, qMax(80 * s, 3 * line + 22 * s), qMax(130 * s, 4 * line + 22 * s)));
    const double bh = qMax(need, qMin(wanted, (bodyH - gap * double(n - 1)) / double(n)));
    const double total = bh * double(n) + gap * double(n - 1);
    // The least height with every card whole (the canvas takes it; until then they start at the top).
    m_requiredHeight = std::ceil(h + total - bodyH);
    double y = total > bodyH ? top : midY - total / 2;
    const double strip = qMin(22 * s, bw * 0.25);
    for (qsizetype i = 0; i < n; ++i) {
        const QRectF r(bx, y, bw, bh);
        m_layout.backends.append(r);
        m_layout.parking.append(QRectF(r.left() + 3, r.top() + 3, strip, qMax(0.0, r.height() - 6)));
        y += bh + gap;
    }
}

QPointF FlowScene::placePoint(const FlowPlace& p, quint64 requestId) const
{
    const Spot spot = spotOf(requestId, m_scale);
    switch (p.node) {
    case FlowPlace::Node::Client: {
        // Under the label, never on it: a dot over "clients" hid the word (re-trial).
        const QRectF& r = m_layout.client;
        const double radius = dotRadius();
        const double top = m_layout.clientLabel.bottom() + 1 + radius;
        const double bottom = qMax(top, r.bottom() - 2 - radius);
        const double reach = 27.5 * m_scale; // the farthest spot from the middle
        return {r.right() - qMin(14 * m_scale, r.width() / 2) + spot.across,
                (top + bottom) / 2 + spot.along * qMin(1.0, (bottom - top) / (2 * reach))};
    }
    case FlowPlace::Node::Proxy: {
        // The proxy's dot lane, under its title and above the picks.
        const QRectF& lane = m_layout.proxyLane;
        return {lane.center().x() + spot.wide * qMin(1.0, lane.width() / (140 * m_scale)),
                lane.center().y() + spot.across * qMin(1.0, lane.height() / (28 * m_scale))};
    }
    case FlowPlace::Node::Backend: {
        const int i = backendIndex(p.backendId);
        if (i < 0 || i >= m_layout.parking.size()) // removed meanwhile: it waits at the proxy's edge
            return {m_layout.proxy.right(), m_layout.proxyLane.center().y() + spot.across};
        const QRectF& r = m_layout.parking[i];
        return {r.center().x() + spot.across * qMin(1.0, r.width() / (22 * m_scale)),
                r.center().y() + spot.along * qMin(1.0, r.height() / (74 * m_scale))};
    }
    }
    return {};
}

QList<QPointF> FlowScene::waypoints(const FlowPlace& from, const FlowPlace& to, quint64 requestId) const
{
    using Node = FlowPlace::Node;
    const double laneY = placePoint({Node::Proxy}, requestId).y();
    const QPointF in(m_layout.proxy.left(), laneY);
    const QPointF out(m_layout.proxy.right(), laneY);
    // Out of (or into) the client level with its spot, so a dot never rises across the client's label.
    // Each spot has its own door, so two dots leaving side by side do not merge into one on the way.
    const QPointF clientDoor(m_layout.client.right() + dotRadius() + 6 * m_scale + spotOf(requestId, m_scale).across,
                             placePoint({Node::Client}, requestId).y());
    if (from.node == Node::Client && to.node == Node::Proxy)
        return {clientDoor, in};
    if (from.node == Node::Proxy && to.node == Node::Client)
        return {in, clientDoor};
    if (from.node == Node::Proxy && to.node == Node::Backend)
        return {out};
    if (from.node == Node::Backend && to.node == Node::Proxy)
        return {out};
    return {};
}

QPointF FlowScene::dotPosition(const FlowDot& d) const
{
    const QPointF here = placePoint(d.route[d.at], d.requestId);
    if (d.at + 1 >= d.route.size())
        return here;
    const FlowPlace& from = d.route[d.at];
    const FlowPlace& to = d.route[d.at + 1];
    const QPointF next = placePoint(to, d.requestId);
    const double t = d.progress;
    if (from.node == FlowPlace::Node::Backend && to.node == FlowPlace::Node::Backend) {
        // A failover hop bends out to the left of the backends' column, so it never crosses the parking strip
        // of a backend in between (which would read as a request in service there); never into the proxy.
        const double room = qMin(here.x(), next.x()) - m_layout.proxy.right() - kDotRadius * m_scale;
        const double bend = qMax(0.0, qMin(kHopBend * m_scale, 2 * room));
        const QPointF control(qMin(here.x(), next.x()) - bend, (here.y() + next.y()) / 2);
        return here * ((1 - t) * (1 - t)) + control * (2 * (1 - t) * t) + next * (t * t);
    }
    QList<QPointF> points{here};
    points += waypoints(from, to, d.requestId);
    points << next;
    return along(points, t);
}

quint64 FlowScene::dotAt(QPointF point) const
{
    const double reach = dotRadius() + 3;
    for (auto it = m_dots.rbegin(); it != m_dots.rend(); ++it) { // the newest is drawn on top
        const QPointF delta = dotPosition(*it) - point;
        if (delta.x() * delta.x() + delta.y() * delta.y() <= reach * reach)
            return it->requestId;
    }
    return 0;
}

int FlowScene::backendAt(QPointF point) const
{
    for (int i = 0; i < m_layout.backends.size() && i < m_backends.size(); ++i) {
        if (m_layout.backends[i].contains(point))
            return m_backends[i].id;
    }
    return -1;
}

} // namespace lab
