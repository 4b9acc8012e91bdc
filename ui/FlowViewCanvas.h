#pragma once

#include "FlowScene.h"

#include <QElapsedTimer>
#include <QPixmap>
#include <QStringList>
#include <QWidget>

class QTimer;

namespace lab {

// Paints a FlowScene: the client, the proxy with its picks (the latest explanation in full, the strip of
// the last picks, and in step mode the candidates), a node per backend in the board's state colour with
// its figures and slots (the latest pick's one outlined), the dots, a legend and a status line (sampling,
// paused, empty). Animates at ~30 frames a second only while a dot is moving and the view is shown and
// not paused, so an idle or hidden flow view costs nothing. A frame draws three layers: the still shapes
// (cached), the dots, then the still text (cached): text stays readable however many dots pass under it.
// The zoom (FontZoom sets the window's font) reaches it as a font change: shapes, dots and text rows scale
// with the font's size against the application's. Clicks are reported, not acted on.
class FlowViewCanvas final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kFrameMs = 33;
    static constexpr int kMaxSlotsDrawn = 12;
    static constexpr int kStripLines = 3; // the pick strip's most lines in the proxy node

    explicit FlowViewCanvas(FlowScene* scene, QWidget* parent = nullptr);
    QSize sizeHint() const override { return {760, 360}; }
    QSize minimumSizeHint() const override { return {320, 160}; }

    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // Every legend entry's text, in order; the tooltip lists them all, the legend paints those with room.
    static QStringList legendText();
    int legendEntriesPainted() const { return m_legendPainted; }
    // A card's figures in lines of `width` as the card draws them: whole figures joined by " · ", a figure
    // wider than a line wrapped at its spaces; none dropped, none cut.
    static QStringList figureLines(const QFontMetricsF& fm, double width, const QStringList& figures);
    // The scene changed (a new batch): start animating if needed and repaint.
    void sceneChanged();
    void setSelected(quint64 requestId);
    quint64 selected() const { return m_selected; }
    // The backend selected on the board (a pool id, -1: none): its card wears a thick dark frame, which the
    // latest pick's dashed blue one never looks like.
    void setSelectedBackend(int backendId);
    int selectedBackend() const { return m_selectedBackend; }
    qint64 nowMs() const { return m_clock.elapsed(); }
    // The zoom the diagram is drawn at: this widget's font size over the application's (1 at Actual size).
    double scale() const { return m_scene->scale(); }

Q_SIGNALS:
    void dotClicked(quint64 requestId);
    void backendClicked(int backendId);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void frame();
    void updateMetrics();
    void paintLayers();
    void paintShapes(QPainter& p);
    void paintTexts(QPainter& p);
    void paintHeader(QPainter& p);
    void paintProxyText(QPainter& p);
    void paintBackendText(QPainter& p, const FlowBackend& b, const QRectF& r, const QRectF& parking);
    // Lays the legend's entries out in its rectangle (or only counts the lines they need when p is null);
    // counts in m_legendPainted the entries that had room.
    int paintLegend(QPainter* p, const QRectF& r);
    QString headerText() const;
    // What the proxy node says, in order; `sized`: the node is made tall enough for it.
    struct ProxyBlock {
        QString text;
        QColor color;
        bool strip = false; // the label of the pick strip (drawn with the strip's names)
        bool sized = true;
    };
    QList<ProxyBlock> proxyBlocks() const;
    int proxyTextLines() const;

    FlowScene* m_scene;
    QTimer* m_frames;
    QElapsedTimer m_clock;
    QPixmap m_background; // shapes under the dots, redrawn when the scene changed
    QPixmap m_foreground; // text over the dots (transparent elsewhere), redrawn with it
    bool m_backgroundDirty = true;
    quint64 m_selected = 0;
    int m_selectedBackend = -1;
    bool m_paused = false;
    int m_legendPainted = 0; // at the last layout of the legend
};

} // namespace lab
