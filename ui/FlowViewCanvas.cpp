#include "FlowViewCanvas.h"

#include "StateColors.h"

#include <QGuiApplication>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTimer>
#include <cmath>

namespace lab {

namespace {
const QColor kEdge{0xc8, 0xcc, 0xd4};
const QColor kBorder{0x70, 0x78, 0x88};
const QColor kText{0x20, 0x24, 0x2c};
const QColor kMuted{0x60, 0x66, 0x70};
const QColor kPicked{0x1f, 0x4f, 0xa0}; // the latest pick's card outline
const QColor kHeld{0xe0, 0x70, 0x10}; // the ring of a request held by step mode

// `text` word-wrapped to `width`: long words are cut only by the final elision, never split.
QStringList wrapped(const QFontMetricsF& fm, double width, const QString& text)
{
    QStringList lines;
    QString line;
    for (const QString& w : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QString candidate = line.isEmpty() ? w : line + QLatin1Char(' ') + w;
        if (fm.horizontalAdvance(candidate) <= width || line.isEmpty()) {
            line = candidate;
        } else {
            lines << line;
            line = w;
        }
    }
    if (!line.isEmpty())
        lines << line;
    return lines;
}

// Draws `text` word-wrapped into `r`, as many lines as fit (the last one elided); returns the height used.
double drawWrapped(QPainter& p, const QRectF& r, const QString& text)
{
    const QFontMetricsF fm(p.font());
    const int maxLines = int(r.height() / fm.lineSpacing());
    if (maxLines < 1)
        return 0;
    QStringList lines = wrapped(fm, r.width(), text);
    if (lines.size() > maxLines) {
        lines = lines.mid(0, maxLines);
        lines.last() += QStringLiteral(" …");
    }
    double y = r.top() + fm.ascent();
    for (const QString& l : std::as_const(lines)) {
        p.drawText(QPointF(r.left(), y), fm.elidedText(l, Qt::ElideRight, r.width()));
        y += fm.lineSpacing();
    }
    return double(lines.size()) * fm.lineSpacing();
}

// The pick strip in as many lines as `r` holds: when the whole strip does not fit, its oldest picks give
// way ("… b a c a a"), so the newest are always seen.
double drawStrip(QPainter& p, const QRectF& r, const QString& label, QStringList names)
{
    const QFontMetricsF fm(p.font());
    const int maxLines = int(r.height() / fm.lineSpacing());
    QString text = label + names.join(QLatin1Char(' '));
    while (names.size() > 1 && wrapped(fm, r.width(), text).size() > maxLines) {
        names.removeFirst();
        text = label + QStringLiteral("… ") + names.join(QLatin1Char(' '));
    }
    return drawWrapped(p, r, text);
}
} // namespace

FlowViewCanvas::FlowViewCanvas(FlowScene* scene, QWidget* parent)
    : QWidget(parent)
    , m_scene(scene)
    , m_frames(new QTimer(this))
{
    setObjectName(QStringLiteral("flowCanvas"));
    setAutoFillBackground(true);
    m_clock.start();
    m_frames->setInterval(kFrameMs);
    connect(m_frames, &QTimer::timeout, this, &FlowViewCanvas::frame);
    // The tooltip lists the whole legend: a narrow view paints only the rows it has room for (trial 3 lost
    // "outline: the latest pick" at 1024 px), and every item stays a hover away.
    setToolTip(tr("Each dot is a request through the proxy. Click a dot for its details, a backend to select it "
                  "on the board.") +
               QStringLiteral("<br>") + tr("<b>Legend</b>") + QStringLiteral("<br>") +
               legendText().join(QStringLiteral("<br>")));
    updateMetrics();
}

QStringList FlowViewCanvas::figureLines(const QFontMetricsF& fm, double width, const QStringList& figures)
{
    QStringList out;
    bool open = false; // the last line may take another figure
    for (const QString& f : figures) {
        const QString joined = open ? out.last() + QStringLiteral(" · ") + f : QString();
        if (open && fm.horizontalAdvance(joined) <= width) {
            out.last() = joined;
        } else if (fm.horizontalAdvance(f) <= width) {
            out << f;
            open = true;
        } else {
            out += wrapped(fm, width, f);
            open = false;
        }
    }
    return out;
}

void FlowViewCanvas::setPaused(bool paused)
{
    m_paused = paused;
    m_backgroundDirty = true; // the header says it
    if (paused)
        m_frames->stop();
    else
        sceneChanged();
    update();
}

void FlowViewCanvas::sceneChanged()
{
    m_backgroundDirty = true;
    if (!m_paused && isVisible() && m_scene->isMoving() && !m_frames->isActive())
        m_frames->start();
    update();
}

void FlowViewCanvas::setSelected(quint64 requestId)
{
    m_selected = requestId;
    update();
}

void FlowViewCanvas::setSelectedBackend(int backendId)
{
    if (backendId == m_selectedBackend)
        return;
    m_selectedBackend = backendId;
    m_backgroundDirty = true;
    update();
}

void FlowViewCanvas::frame()
{
    m_scene->advance(nowMs());
    if (m_paused || !isVisible() || !m_scene->isMoving())
        m_frames->stop();
    update();
}

void FlowViewCanvas::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    m_scene->advance(nowMs());
    sceneChanged();
}

void FlowViewCanvas::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    m_scene->setViewport(size());
    m_backgroundDirty = true;
}

void FlowViewCanvas::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        updateMetrics();
}

void FlowViewCanvas::updateMetrics()
{
    const QFont app = QGuiApplication::font();
    const QFont own = font();
    double scale = 1;
    if (own.pointSizeF() > 0 && app.pointSizeF() > 0)
        scale = own.pointSizeF() / app.pointSizeF();
    else if (own.pixelSize() > 0 && app.pixelSize() > 0)
        scale = double(own.pixelSize()) / double(app.pixelSize());
    m_scene->setMetrics(scale, QFontMetricsF(own).lineSpacing());
    m_scene->setClientLabelWidth(QFontMetricsF(own).horizontalAdvance(tr("clients")));
    m_backgroundDirty = true;
    update();
}

void FlowViewCanvas::mousePressEvent(QMouseEvent* event)
{
    const QPointF at = event->position();
    if (const quint64 id = m_scene->dotAt(at)) {
        setSelected(id);
        Q_EMIT dotClicked(id);
        return;
    }
    const int backend = m_scene->backendAt(at);
    if (backend >= 0)
        Q_EMIT backendClicked(backend);
    QWidget::mousePressEvent(event);
}

QString FlowViewCanvas::headerText() const
{
    // Pause is said once, by the window's banner above the views.
    QStringList parts;
    const QString empty = m_scene->emptyText();
    if (!empty.isEmpty())
        parts << empty;
    const QString sampling = m_scene->samplingText();
    if (!sampling.isEmpty())
        parts << tr("%1 (the proxy follows a few dozen a second; the board and charts count them all)").arg(sampling);
    if (const int held = m_scene->heldCount())
        parts << tr("%1 held before the pick: press Step").arg(held);
    if (const quint64 dropped = m_scene->droppedRequests())
        parts << tr("%1 half-drawn requests dropped (the window fell behind)").arg(dropped);
    return parts.join(QStringLiteral(" · "));
}

void FlowViewCanvas::paintLayers()
{
    // The text decides how many rows the header and legend take, which moves the nodes: measure first.
    QFont bold = font();
    bold.setBold(true);
    const QRectF header = m_scene->layout().header;
    const int headerLines = int(wrapped(QFontMetricsF(bold), header.width(), headerText()).size());
    m_scene->setTextRows(qMax(1, headerLines), paintLegend(nullptr, m_scene->layout().legend), proxyTextLines());
    const QFontMetricsF fm(font());
    int cardLines = 1;
    for (int i = 0; i < m_scene->backends().size() && i < m_scene->layout().backends.size(); ++i)
        cardLines =
            qMax(cardLines,
                 int(figureLines(fm, m_scene->cardText(i).width(), FlowScene::figures(m_scene->backends()[i])).size()));
    m_scene->setCardLines(cardLines);
    // Every card whole: the canvas is as tall as that needs and its view scrolls (FlowView).
    const int required = qMax(minimumSizeHint().height(), int(m_scene->requiredHeight()));
    if (minimumHeight() != required)
        setMinimumHeight(required);

    const qreal dpr = devicePixelRatioF();
    const QSize pixels = size() * dpr;
    m_background = QPixmap(pixels);
    m_background.setDevicePixelRatio(dpr);
    m_foreground = QPixmap(pixels);
    m_foreground.setDevicePixelRatio(dpr);
    m_foreground.fill(Qt::transparent);
    {
        QPainter bg(&m_background);
        bg.setFont(font());
        paintShapes(bg);
    }
    QPainter fg(&m_foreground);
    fg.setFont(font());
    paintTexts(fg);
    m_backgroundDirty = false;
}

void FlowViewCanvas::paintEvent(QPaintEvent*)
{
    // Nodes, texts and legend change at most once a refresh tick; the dots move every frame. So the still
    // layers are drawn once per tick into pixmaps and each frame only adds the dots between them.
    if (m_backgroundDirty || m_background.size() != size() * devicePixelRatioF())
        paintLayers();
    QPainter p(this);
    p.drawPixmap(0, 0, m_background);
    p.setRenderHint(QPainter::Antialiasing);
    const double s = m_scene->scale();
    const double radius = m_scene->dotRadius();
    for (const FlowDot& d : m_scene->dots()) {
        const QPointF c = m_scene->dotPosition(d);
        const bool selected = d.requestId == m_selected;
        p.setPen(QPen(Qt::white, 1.5 * s));
        p.setBrush(FlowScene::dotColor(d, selected));
        p.drawEllipse(c, radius, radius);
        if (d.held) {
            p.setPen(QPen(kHeld, 2 * s));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(c, radius + 3 * s, radius + 3 * s);
        }
        if (selected) { // a ring, not a colour: the fill keeps saying how the request ended
            p.setPen(QPen(kText, 2 * s));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(c, radius + 5 * s, radius + 5 * s);
        }
    }
    p.drawPixmap(0, 0, m_foreground);
}

void FlowViewCanvas::paintShapes(QPainter& p)
{
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    const FlowScene::Layout& l = m_scene->layout();
    const double s = m_scene->scale();

    // Edges first: the roads the dots travel, through the proxy's doors at its lane.
    p.setPen(QPen(kEdge, 2 * s));
    const QPointF proxyIn(l.proxy.left(), l.proxyLane.center().y());
    const QPointF proxyOut(l.proxy.right(), l.proxyLane.center().y());
    p.drawLine(QPointF(l.client.right(), l.client.center().y()), proxyIn);
    for (const QRectF& r : l.parking)
        p.drawLine(proxyOut, QPointF(r.left(), r.center().y()));

    p.setPen(QPen(kBorder, 1));
    p.setBrush(QColor(0xee, 0xf0, 0xf4));
    p.drawRoundedRect(l.client, 6 * s, 6 * s);

    p.setBrush(QColor(0xe6, 0xee, 0xfa));
    p.drawRoundedRect(l.proxy, 8 * s, 8 * s);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0xd4, 0xe0, 0xf4));
    p.drawRoundedRect(l.proxyLane, 4 * s, 4 * s);

    const QList<FlowBackend>& backends = m_scene->backends();
    for (int i = 0; i < l.backends.size() && i < backends.size(); ++i) {
        const FlowBackend& b = backends[i];
        const bool picked = b.id >= 0 && b.id == m_scene->latestPickBackend();
        const bool selected = b.id >= 0 && b.id == m_selectedBackend;
        p.setPen(selected ? QPen(kText, 3.5 * s) : QPen(kBorder, 1));
        p.setBrush(b.stateColor.isValid() ? b.stateColor : QColor(0xee, 0xee, 0xee));
        p.drawRoundedRect(l.backends[i], 6 * s, 6 * s);
        if (picked) { // dashed and inside the frame: never read as the selection (trial 5)
            p.setPen(QPen(kPicked, 2 * s, Qt::DashLine));
            p.setBrush(Qt::NoBrush);
            const double in = selected ? 4 * s : 2 * s;
            p.drawRoundedRect(l.backends[i].adjusted(in, in, -in, -in), 5 * s, 5 * s);
        }
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(255, 255, 255, 150));
        p.drawRoundedRect(l.parking[i], 4 * s, 4 * s);
    }
}

void FlowViewCanvas::paintTexts(QPainter& p)
{
    p.setRenderHint(QPainter::Antialiasing);
    const FlowScene::Layout& l = m_scene->layout();
    p.setPen(kText);
    const QFontMetricsF fm(p.font());
    p.drawText(l.clientLabel, Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(tr("clients"), Qt::ElideRight, l.clientLabel.width()));
    paintProxyText(p);
    for (int i = 0; i < l.backends.size() && i < m_scene->backends().size(); ++i)
        paintBackendText(p, m_scene->backends()[i], l.backends[i], l.parking[i]);
    paintHeader(p);
    paintLegend(&p, l.legend);
}

void FlowViewCanvas::paintHeader(QPainter& p)
{
    const QRectF r = m_scene->layout().header;
    const bool emphatic = !m_scene->emptyText().isEmpty();
    const QFont normal = p.font();
    QFont f = normal;
    f.setBold(emphatic);
    p.setFont(f);
    p.setPen(m_scene->emptyText().isEmpty() ? kText : kMuted);
    drawWrapped(p, r, headerText());
    p.setFont(normal);
}

void FlowViewCanvas::paintProxyText(QPainter& p)
{
    const FlowScene::Layout& l = m_scene->layout();
    const QFont normal = p.font();
    QFont bold = normal;
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(kText);
    const QRectF title(l.proxyLane.left(), l.proxy.top() + 3, l.proxyLane.width(),
                       l.proxyLane.top() - l.proxy.top() - 3);
    p.drawText(title, Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetricsF(bold).elidedText(tr("proxy"), Qt::ElideRight, title.width()));
    p.setFont(normal);
    // The algorithm beside the title, elided rather than left out when the node is narrow (trial 5 lost
    // "least-connections" at 1024 px); the proxy bar names it whole.
    const double titleWidth = QFontMetricsF(bold).horizontalAdvance(tr("proxy")) + 8;
    const double algorithmRoom = title.width() - titleWidth;
    if (algorithmRoom >= QFontMetricsF(normal).horizontalAdvance(QStringLiteral("least…"))) {
        p.setPen(kMuted);
        p.drawText(title, Qt::AlignRight | Qt::AlignVCenter,
                   QFontMetricsF(normal).elidedText(m_scene->algorithm(), Qt::ElideRight, algorithmRoom));
    }

    QRectF text = l.proxyText;
    for (const ProxyBlock& b : proxyBlocks()) {
        if (text.height() < QFontMetricsF(p.font()).lineSpacing())
            break;
        p.setPen(b.color);
        QRectF room = text;
        if (b.strip) // the order of the picks, in at most kStripLines: its oldest give way
            room.setHeight(qMin(room.height(), kStripLines * QFontMetricsF(p.font()).lineSpacing()));
        const double used = b.strip ? drawStrip(p, room, b.text, m_scene->pickStrip()) : drawWrapped(p, room, b.text);
        text.setTop(text.top() + used + 4);
    }
}

QList<FlowViewCanvas::ProxyBlock> FlowViewCanvas::proxyBlocks() const
{
    // In order of what a learner needs: the latest pick in full, the order of the last picks, what a held
    // request will choose among, then older explanations (muted) while there is room.
    QList<ProxyBlock> blocks;
    const QStringList& picks = m_scene->recentPicks();
    // Sampled, the strip holds only the drawn requests' picks: it must not read as the pool's sequence.
    const QString sampling = m_scene->pickSampling();
    if (picks.isEmpty()) {
        const QString note = m_scene->pickNote();
        blocks.append({note.isEmpty() ? tr("latest pick: none yet") : note, kText, false, true});
    } else {
        blocks.append({sampling.isEmpty() ? tr("latest pick: %1").arg(picks.first())
                                          : tr("latest drawn pick: %1").arg(picks.first()),
                       kText, false, true});
    }
    if (!m_scene->pickStrip().isEmpty())
        blocks.append({m_scene->pickStripLabel(), kText, true, true});
    // Sampled, the counts beside the strip are every pick's, from the board, not the drawn ones'.
    if (const QString all = m_scene->allPicksText(m_paused); !all.isEmpty())
        blocks.append({all, kText, false, true});
    if (const int held = m_scene->heldCount())
        blocks.append({tr("%1 held; the next pick chooses among: %2").arg(held).arg(m_scene->candidatesText()),
                       kHeld.darker(130), false, true});
    for (int i = 1; i < picks.size(); ++i)
        blocks.append({tr("before: %1").arg(picks[i]), kMuted, false, i == 1});
    return blocks;
}

int FlowViewCanvas::proxyTextLines() const
{
    const QFontMetricsF fm(font());
    const double width = m_scene->layout().proxyText.width();
    double lines = 0;
    for (const ProxyBlock& b : proxyBlocks()) {
        if (!b.sized)
            continue;
        const int n = int(wrapped(fm, width, b.strip ? b.text + m_scene->pickStripText() : b.text).size());
        lines += (b.strip ? qMin(n, kStripLines) : n) + 4 / fm.lineSpacing();
    }
    return int(std::ceil(lines));
}

void FlowViewCanvas::paintBackendText(QPainter& p, const FlowBackend& b, const QRectF& r, const QRectF& parking)
{
    const double s = m_scene->scale();
    const QFontMetricsF fm(p.font());
    const double line = fm.lineSpacing();
    const double x = parking.right() + 5 * s;
    const double w = r.right() - 6 * s - x;
    if (w <= 0)
        return;
    QFont bold = p.font();
    bold.setBold(true);
    const QFont normal = p.font();
    double y = r.top() + 4;
    p.setPen(kText);
    p.setFont(bold);
    // Only the name gives way (elided) to the state beside it; the state is also the card's colour.
    const double stateWidth = fm.horizontalAdvance(b.stateText) + 8;
    const double nameRoom =
        w - stateWidth >= QFontMetricsF(bold).horizontalAdvance(QStringLiteral("backend…")) ? w - stateWidth : w;
    p.drawText(QRectF(x, y, nameRoom, line), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetricsF(bold).elidedText(b.name, Qt::ElideRight, nameRoom));
    p.setFont(normal);
    if (nameRoom < w)
        p.drawText(QRectF(x + nameRoom, y, w - nameRoom, line), Qt::AlignRight | Qt::AlignVCenter, b.stateText);
    y += line;
    // The figures, whole, on as many lines as they take: the scene made the card tall enough for them.
    p.setPen(kMuted);
    for (const QString& l : figureLines(fm, w, FlowScene::figures(b))) {
        p.drawText(QRectF(x, y, w, line), Qt::AlignLeft | Qt::AlignVCenter, l);
        y += line;
    }
    y += 2;
    const double slot = 10 * s;
    if (y + slot > r.bottom() - 2)
        return;
    // Slots: one square per worker (filled = in service), then the queue (filled = waiting). Unlimited
    // workers: one filled square per request the proxy has in flight there. "idle" only when nothing is in
    // flight and nothing was sent for a second: a backend answering 100 quick requests a second may have
    // none in flight at the instant of the snapshot, and it is not idle.
    const int workers = b.workers > 0 ? b.workers : b.inFlight;
    const int busy = b.workers > 0 ? b.inService : b.inFlight;
    const int shown = qMin(workers, kMaxSlotsDrawn);
    double sx = x;
    p.setPen(QPen(kBorder, 1));
    for (int i = 0; i < shown && sx + slot < r.right() - 4; ++i) {
        p.setBrush(i < busy ? QColor(0x30, 0x40, 0x58) : QColor(Qt::white));
        p.drawRect(QRectF(sx, y, slot, slot));
        sx += slot + 3 * s;
    }
    p.setPen(kMuted);
    if (workers > shown) {
        p.drawText(QPointF(sx, y + slot), tr("+%1").arg(workers - shown));
        sx += fm.horizontalAdvance(QStringLiteral("+000"));
    }
    if (workers == 0 && b.ratePerSecond < 0.5)
        p.drawText(QPointF(sx, y + slot), fm.elidedText(tr("idle"), Qt::ElideRight, r.right() - 4 - sx));
    if (b.queueCapacity > 0) {
        sx += 10 * s;
        const int queueShown = qMin(b.queueCapacity, kMaxSlotsDrawn);
        p.setPen(QPen(kBorder, 1, Qt::DotLine));
        for (int i = 0; i < queueShown && sx + slot < r.right() - 4; ++i) {
            p.setBrush(i < b.queued ? QColor(0xa0, 0x60, 0x20) : QColor(Qt::white));
            p.drawRect(QRectF(sx, y, slot, slot));
            sx += slot + 3 * s;
        }
    }
    const bool picked = b.id >= 0 && b.id == m_scene->latestPickBackend();
    if (picked && y + slot + line < r.bottom()) {
        p.setPen(kPicked);
        p.drawText(QRectF(x, r.bottom() - line - 2, w, line), Qt::AlignRight | Qt::AlignVCenter, tr("latest pick"));
    }
}

// The dot colours the legend explains, in its order (legendText and paintLegend read the same list).
constexpr FlowOutcome kLegendOutcomes[] = {FlowOutcome::Pending,     FlowOutcome::Success,   FlowOutcome::ClientError,
                                           FlowOutcome::ServerError, FlowOutcome::NoBackend, FlowOutcome::RateLimited,
                                           FlowOutcome::NoResponse};

QStringList FlowViewCanvas::legendText()
{
    QStringList out;
    for (FlowOutcome o : kLegendOutcomes)
        out << FlowScene::outcomeText(o);
    out << tr("ring: the request you clicked") << tr("orange ring: held by step mode") << tr("dashed: the latest pick")
        << tr("black frame: selected") << tr("a dot at a backend is in service there");
    return out;
}

int FlowViewCanvas::paintLegend(QPainter* p, const QRectF& r)
{
    // Entries flow left to right and wrap like words, so a narrow or zoomed view keeps every one.
    const QFontMetricsF fm(font());
    const double s = m_scene->scale();
    const double radius = m_scene->dotRadius();
    const double line = fm.lineSpacing();
    enum class Mark { Dot, Ring, Held, Card, Selected, None };
    struct Entry {
        Mark mark;
        QColor color;
        QString label;
    };
    QList<Entry> entries;
    const QStringList labels = legendText();
    for (FlowOutcome o : kLegendOutcomes)
        entries.append({Mark::Dot, FlowScene::outcomeColor(o), labels[entries.size()]});
    for (Mark m : {Mark::Ring, Mark::Held, Mark::Card, Mark::Selected, Mark::None})
        entries.append({m, {}, labels[entries.size()]});
    m_legendPainted = 0;
    // Marks fit a text line, however large the zoom makes the dots.
    const double dot = qMin(radius, line * 0.28);
    const double ring = dot + qMin(5 * s, line / 2 - dot - 1);
    const double markWidth = 2 * ring + 8;
    double x = r.left();
    int lines = 1;
    double cy = r.top() + line / 2;
    for (const Entry& e : std::as_const(entries)) {
        const double need = (e.mark == Mark::None ? 0 : markWidth) + fm.horizontalAdvance(e.label) + 12 * s;
        if (x > r.left() && x + need > r.right()) {
            ++lines;
            x = r.left();
            cy += line;
        }
        if (cy - line / 2 + line <= r.bottom() + 1)
            ++m_legendPainted;
        if (p && cy - line / 2 + line <= r.bottom() + 1) {
            const QPointF c(x + markWidth / 2, cy);
            p->setRenderHint(QPainter::Antialiasing);
            switch (e.mark) {
            case Mark::Dot:
                p->setPen(QPen(Qt::white, 1));
                p->setBrush(e.color);
                p->drawEllipse(c, dot, dot);
                break;
            case Mark::Ring:
            case Mark::Held:
                p->setPen(QPen(Qt::white, 1));
                p->setBrush(FlowScene::outcomeColor(FlowOutcome::Success));
                p->drawEllipse(c, dot, dot);
                p->setPen(e.mark == Mark::Ring ? QPen(kText, 2 * s) : QPen(kHeld, 2 * s));
                p->setBrush(Qt::NoBrush);
                p->drawEllipse(c, e.mark == Mark::Ring ? ring : (dot + ring) / 2,
                               e.mark == Mark::Ring ? ring : (dot + ring) / 2);
                break;
            case Mark::Card:
                p->setPen(QPen(kPicked, 2 * s, Qt::DashLine));
                p->setBrush(QColor(StateColors::up));
                p->drawRoundedRect(QRectF(c.x() - ring, cy - dot, 2 * ring, 2 * dot), 2, 2);
                break;
            case Mark::Selected:
                p->setPen(QPen(kText, 3 * s));
                p->setBrush(QColor(StateColors::up));
                p->drawRoundedRect(QRectF(c.x() - ring, cy - dot, 2 * ring, 2 * dot), 2, 2);
                break;
            case Mark::None: break;
            }
            p->setPen(e.mark == Mark::None ? kMuted : kText);
            p->drawText(QPointF(x + (e.mark == Mark::None ? 0 : markWidth), cy + fm.ascent() / 2 - 1), e.label);
        }
        x += need;
    }
    return lines;
}

} // namespace lab
