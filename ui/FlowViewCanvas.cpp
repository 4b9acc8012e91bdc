#include "FlowViewCanvas.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTimer>

namespace lab {

namespace {
const QColor kEdge{0xc8, 0xcc, 0xd4};
const QColor kBorder{0x70, 0x78, 0x88};
const QColor kText{0x20, 0x24, 0x2c};
const QColor kMuted{0x60, 0x66, 0x70};

// Draws `text` word-wrapped into `r`, as many lines as fit (the last one elided); returns the lines drawn.
int drawWrapped(QPainter& p, const QRectF& r, const QString& text)
{
    const QFontMetricsF fm(p.font());
    const int maxLines = qMax(1, int(r.height() / fm.lineSpacing()));
    QStringList lines;
    QString line;
    const QStringList words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString& w : words) {
        const QString candidate = line.isEmpty() ? w : line + QLatin1Char(' ') + w;
        if (fm.horizontalAdvance(candidate) <= r.width() || line.isEmpty()) {
            line = candidate;
        } else {
            lines << line;
            line = w;
        }
    }
    if (!line.isEmpty())
        lines << line;
    if (lines.size() > maxLines) {
        lines = lines.mid(0, maxLines);
        lines.last() += QStringLiteral(" …");
    }
    double y = r.top() + fm.ascent();
    for (const QString& l : lines) {
        p.drawText(QPointF(r.left(), y), fm.elidedText(l, Qt::ElideRight, r.width()));
        y += fm.lineSpacing();
    }
    return int(lines.size());
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
    setToolTip(tr("Each dot is a request through the proxy. Click a dot for its details, a backend to select it "
                  "on the board."));
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

void FlowViewCanvas::paintEvent(QPaintEvent*)
{
    // Nodes, texts and legend change at most once a refresh tick; the dots move every frame. So the still
    // layer is drawn once per tick into a pixmap and each frame only adds the dots.
    const qreal dpr = devicePixelRatioF();
    const QSize pixels = size() * dpr;
    if (m_backgroundDirty || m_background.size() != pixels) {
        m_background = QPixmap(pixels);
        m_background.setDevicePixelRatio(dpr);
        QPainter bg(&m_background);
        bg.setFont(font());
        paintBackground(bg);
        m_backgroundDirty = false;
    }
    QPainter p(this);
    p.drawPixmap(0, 0, m_background);
    p.setRenderHint(QPainter::Antialiasing);
    for (const FlowDot& d : m_scene->dots()) {
        const QPointF c = m_scene->dotPosition(d);
        p.setPen(QPen(Qt::white, 1.5));
        p.setBrush(FlowScene::outcomeColor(FlowScene::shownOutcome(d)));
        p.drawEllipse(c, FlowScene::kDotRadius, FlowScene::kDotRadius);
        if (d.held) {
            p.setPen(QPen(QColor(0xe0, 0x70, 0x10), 2));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(c, FlowScene::kDotRadius + 3, FlowScene::kDotRadius + 3);
        }
        if (d.requestId == m_selected) {
            p.setPen(QPen(kText, 2));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(c, FlowScene::kDotRadius + 4, FlowScene::kDotRadius + 4);
        }
    }
}

void FlowViewCanvas::paintBackground(QPainter& p)
{
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    const FlowScene::Layout& l = m_scene->layout();

    // Edges first: the roads the dots travel.
    p.setPen(QPen(kEdge, 2));
    const QPointF proxyIn(l.proxy.left(), l.proxy.top() + 40);
    const QPointF proxyOut(l.proxy.right(), l.proxy.top() + 40);
    p.drawLine(QPointF(l.client.right(), l.client.center().y()), proxyIn);
    for (const QRectF& r : l.backends)
        p.drawLine(proxyOut, QPointF(r.left(), r.center().y()));

    p.setPen(QPen(kBorder, 1));
    p.setBrush(QColor(0xee, 0xf0, 0xf4));
    p.drawRoundedRect(l.client, 6, 6);
    p.setPen(kText);
    p.drawText(l.client.adjusted(4, 4, -4, -4), Qt::AlignLeft | Qt::AlignTop, tr("clients"));

    paintProxy(p);
    for (int i = 0; i < l.backends.size() && i < m_scene->backends().size(); ++i)
        paintBackend(p, m_scene->backends()[i], l.backends[i]);
    paintHeader(p);
    paintLegend(p);
}

void FlowViewCanvas::paintHeader(QPainter& p)
{
    const QRectF r = m_scene->layout().header;
    QStringList parts;
    if (m_paused)
        parts << tr("Paused — the proxy keeps working; Resume jumps to the present");
    const QString empty = m_scene->emptyText();
    if (!empty.isEmpty())
        parts << empty;
    const QString sampling = m_scene->samplingText();
    if (!sampling.isEmpty())
        parts << tr("%1 (the proxy follows at most a few dozen a second)").arg(sampling);
    if (const int held = m_scene->heldCount())
        parts << tr("%1 held before the pick").arg(held);
    if (const quint64 dropped = m_scene->droppedRequests())
        parts << tr("%1 half-drawn requests dropped (the window fell behind)").arg(dropped);
    QFont f = p.font();
    f.setBold(!empty.isEmpty() || m_paused);
    p.setFont(f);
    p.setPen(empty.isEmpty() ? kText : kMuted);
    p.drawText(r, Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetricsF(f).elidedText(parts.join(QStringLiteral(" · ")), Qt::ElideRight, r.width()));
    f.setBold(false);
    p.setFont(f);
}

void FlowViewCanvas::paintProxy(QPainter& p)
{
    const QRectF r = m_scene->layout().proxy;
    p.setPen(QPen(kBorder, 1));
    p.setBrush(QColor(0xe6, 0xee, 0xfa));
    p.drawRoundedRect(r, 8, 8);
    // The dot lane the requests cross.
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0xd4, 0xe0, 0xf4));
    p.drawRoundedRect(QRectF(r.left() + 8, r.top() + 26, r.width() - 16, 28), 4, 4);
    QFont f = p.font();
    f.setBold(true);
    p.setFont(f);
    p.setPen(kText);
    p.drawText(QRectF(r.left() + 8, r.top() + 4, r.width() - 16, 20), Qt::AlignLeft | Qt::AlignVCenter, tr("proxy"));
    f.setBold(false);
    p.setFont(f);
    // The latest pick in full, then older ones (muted) while there is room: the balancer's reasoning over time.
    QRectF text(r.left() + 8, r.top() + 60, r.width() - 16, r.height() - 64);
    const QStringList& picks = m_scene->recentPicks();
    p.setPen(kText);
    if (picks.isEmpty()) {
        drawWrapped(p, text, tr("latest pick: none yet"));
        return;
    }
    const double line = QFontMetricsF(p.font()).lineSpacing();
    text.setTop(text.top() + drawWrapped(p, text, tr("latest pick: %1").arg(picks.first())) * line + 4);
    p.setPen(kMuted);
    for (int i = 1; i < picks.size() && text.height() >= line; ++i)
        text.setTop(text.top() + drawWrapped(p, text, tr("before: %1").arg(picks[i])) * line + 2);
}

void FlowViewCanvas::paintBackend(QPainter& p, const FlowBackend& b, const QRectF& r)
{
    p.setPen(QPen(kBorder, 1));
    p.setBrush(b.stateColor.isValid() ? b.stateColor : QColor(0xee, 0xee, 0xee));
    p.drawRoundedRect(r, 6, 6);
    // The parking strip where requests in service wait.
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(255, 255, 255, 150));
    p.drawRoundedRect(QRectF(r.left() + 3, r.top() + 3, 22, r.height() - 6), 4, 4);

    const QFontMetricsF fm(p.font());
    const double line = fm.lineSpacing();
    const double x = r.left() + 30;
    const double w = r.width() - 36;
    const bool compact = r.height() < 3 * line + 10;
    QFont bold = p.font();
    bold.setBold(true);
    const QFont normal = p.font();
    const QString counts = tr("weight %1 · %2 in flight").arg(b.weight).arg(b.inFlight);
    QString capacity;
    if (b.workers > 0)
        capacity = tr("%1/%2 workers busy").arg(b.inService).arg(b.workers);
    if (b.queueCapacity > 0)
        capacity += tr(" · %1/%2 queued").arg(b.queued).arg(b.queueCapacity);
    double y = r.top() + 4;
    p.setPen(kText);
    p.setFont(bold);
    QStringList oneLine{b.name, b.stateText, counts};
    if (!capacity.isEmpty())
        oneLine << capacity;
    const QString title = compact ? oneLine.join(QStringLiteral(" · ")) : b.name;
    p.drawText(QRectF(x, y, w, line), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetricsF(bold).elidedText(title, Qt::ElideRight, w));
    p.setFont(normal);
    if (!compact) {
        const double nameWidth = QFontMetricsF(bold).horizontalAdvance(b.name) + 8;
        if (nameWidth < w)
            p.drawText(QRectF(x + nameWidth, y, w - nameWidth, line), Qt::AlignRight | Qt::AlignVCenter,
                       fm.elidedText(b.stateText, Qt::ElideRight, w - nameWidth));
        y += line;
        p.setPen(kMuted);
        p.drawText(QRectF(x, y, w, line), Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(counts, Qt::ElideRight, w));
        y += line;
        if (!capacity.isEmpty() && y + 2 * line < r.bottom()) { // its own line when the node has room
            p.drawText(QRectF(x, y, w, line), Qt::AlignLeft | Qt::AlignVCenter,
                       fm.elidedText(capacity, Qt::ElideRight, w));
            y += line;
        }
        y += 2;
    } else {
        y += line + 1;
    }
    if (y + 10 > r.bottom() - 2)
        return;
    // Slots: one square per worker (filled = in service), then the queue (filled = waiting). Unlimited
    // workers: one filled square per request the proxy has in flight there.
    const double s = 10;
    const int workers = b.workers > 0 ? b.workers : b.inFlight;
    const int busy = b.workers > 0 ? b.inService : b.inFlight;
    const int shown = qMin(workers, kMaxSlotsDrawn);
    double sx = x;
    p.setPen(QPen(kBorder, 1));
    for (int i = 0; i < shown; ++i) {
        p.setBrush(i < busy ? QColor(0x30, 0x40, 0x58) : QColor(Qt::white));
        p.drawRect(QRectF(sx, y, s, s));
        sx += s + 3;
    }
    p.setPen(kMuted);
    if (workers > shown) {
        p.drawText(QPointF(sx, y + s), tr("+%1").arg(workers - shown));
        sx += fm.horizontalAdvance(QStringLiteral("+000"));
    }
    if (workers == 0)
        p.drawText(QPointF(sx, y + s), tr("idle"));
    if (b.queueCapacity > 0) {
        sx += 10;
        const int queueShown = qMin(b.queueCapacity, kMaxSlotsDrawn);
        p.setPen(QPen(kBorder, 1, Qt::DotLine));
        for (int i = 0; i < queueShown && sx + s < r.right() - 4; ++i) {
            p.setBrush(i < b.queued ? QColor(0xa0, 0x60, 0x20) : QColor(Qt::white));
            p.drawRect(QRectF(sx, y, s, s));
            sx += s + 3;
        }
    }
}

void FlowViewCanvas::paintLegend(QPainter& p)
{
    const QRectF r = m_scene->layout().legend;
    const QFontMetricsF fm(p.font());
    double x = r.left();
    const double cy = r.center().y();
    const FlowOutcome kinds[] = {FlowOutcome::Pending,     FlowOutcome::Success,   FlowOutcome::ClientError,
                                 FlowOutcome::ServerError, FlowOutcome::NoBackend, FlowOutcome::NoResponse};
    for (FlowOutcome o : kinds) {
        const QString label = FlowScene::outcomeText(o);
        const double need = 14 + fm.horizontalAdvance(label) + 14;
        if (x + need > r.right())
            return;
        p.setPen(QPen(Qt::white, 1));
        p.setBrush(FlowScene::outcomeColor(o));
        p.drawEllipse(QPointF(x + 5, cy), FlowScene::kDotRadius, FlowScene::kDotRadius);
        p.setPen(kText);
        p.drawText(QPointF(x + 14, cy + fm.ascent() / 2 - 1), label);
        x += need;
    }
    const QString note = tr("a dot waiting at a backend is in service there");
    if (x + fm.horizontalAdvance(note) <= r.right()) {
        p.setPen(kMuted);
        p.drawText(QPointF(x + 6, cy + fm.ascent() / 2 - 1), note);
    }
}

} // namespace lab
