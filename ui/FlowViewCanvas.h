#pragma once

#include "FlowScene.h"

#include <QElapsedTimer>
#include <QPixmap>
#include <QWidget>

class QTimer;

namespace lab {

// Paints a FlowScene: the client, the proxy with its latest pick, a node per backend in the board's state
// colour with its slots, the dots, a legend and one line of status (sampling, paused, empty). Animates at
// ~30 frames a second only while a dot is moving and the view is shown and not paused, so an idle or
// hidden flow view costs nothing; a frame draws the dots over a cached still layer. Clicks are reported,
// not acted on.
class FlowViewCanvas final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kFrameMs = 33;
    static constexpr int kMaxSlotsDrawn = 12;

    explicit FlowViewCanvas(FlowScene* scene, QWidget* parent = nullptr);
    QSize sizeHint() const override { return {760, 360}; }
    QSize minimumSizeHint() const override { return {320, 160}; }

    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // The scene changed (a new batch): start animating if needed and repaint.
    void sceneChanged();
    void setSelected(quint64 requestId);
    quint64 selected() const { return m_selected; }
    qint64 nowMs() const { return m_clock.elapsed(); }

Q_SIGNALS:
    void dotClicked(quint64 requestId);
    void backendClicked(int backendId);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void frame();
    void paintBackground(QPainter& p);
    void paintHeader(QPainter& p);
    void paintProxy(QPainter& p);
    void paintBackend(QPainter& p, const FlowBackend& b, const QRectF& r);
    void paintLegend(QPainter& p);

    FlowScene* m_scene;
    QTimer* m_frames;
    QElapsedTimer m_clock;
    QPixmap m_background; // everything but the dots, redrawn when the scene changed
    bool m_backgroundDirty = true;
    quint64 m_selected = 0;
    bool m_paused = false;
};

} // namespace lab
