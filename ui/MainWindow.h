#pragma once

#include "ChangeMarkers.h"
#include "FontZoom.h"
#include "ProductionDialog.h"
#include "UnsavedPrompt.h"
#include "config/LabConfig.h"
#include "lab/BackendId.h"
#include "metrics/MetricsHistory.h"

#include <QElapsedTimer>
#include <QMainWindow>

class QDialog;
class QDockWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QPushButton;
class QSplitter;
class QTabWidget;
class QTableView;
class QTimer;

namespace lab {

class BackendPanel;
class BackendTableModel;
class ChartsPanel;
class ConsolePanel;
class ExportMenu;
class FlowView;
class FollowTail;
class FlowViewTab;
class HashView;
class HealthTimeline;
class Lab;
class LessonPanel;
class ScenarioRecorder;
class LoadGenerator;
class ProxyPanel;
class TimeControls;
class TraceModel;
class TrafficPanel;

// The lab's window. It owns no data-path socket and receives no per-request signal: a 100 ms timer takes
// one metrics snapshot of the lab, pushes it into a short history and lets every view read from that;
// events and traces are polled as bounded batches. Operator actions go to the Lab, which applies them
// live and logs them.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    static constexpr int kRefreshMs = 100;
    static constexpr int kStopDrainMs = 5000; // Stop drains a backend for at most this long

    explicit MainWindow(Lab* lab, QWidget* parent = nullptr);
    ~MainWindow() override;
    Q_DISABLE_COPY_MOVE(MainWindow)

    BackendTableModel* backendModel() const { return m_model; }
    TraceModel* traceModel() const { return m_traceModel; }
    QTableView* backendView() const { return m_table; }
    // The Start/Stop button of a backend row (nullptr for external backends).
    QPushButton* startStopButton(int row) const;
    BackendPanel* backendPanel() const { return m_backendPanel; }
    ProxyPanel* proxyPanel() const { return m_proxyPanel; }
    TrafficPanel* trafficPanel() const { return m_trafficPanel; }
    ConsolePanel* consolePanel() const { return m_consolePanel; }
    ChartsPanel* chartsPanel() const { return m_charts; }
    ExportMenu* exportMenu() const { return m_export; }
    FlowView* flowView() const;
    TimeControls* timeControls() const;
    // The tabs above the board: the flow view first, then the charts, then the hash view.
    QTabWidget* viewTabs() const { return m_viewTabs; }
    HashView* hashView() const { return m_hashView; }
    LoadGenerator* generator() const { return m_generator; }
    QTabWidget* tabs() const { return m_tabs; }
    QPlainTextEdit* eventView() const { return m_events; }
    // Keep the Events log and the trace list on their newest line unless the user scrolled up.
    FollowTail* eventsFollow() const { return m_eventsFollow; }
    FollowTail* traceFollow() const { return m_traceFollow; }
    // Shown while paused: what is frozen and what stays live.
    QLabel* pauseBanner() const { return m_pauseBanner; }
    QString statusText() const; // in full words; a narrow bar shows short ones
    // The status bar's traffic part (listener figures since Reset, connections now) and its tooltip.
    static QString trafficStatusText(const TrafficStats& sinceReset, const MetricsSnapshot& latest,
                                     double requestsPerSecond);
    static QString trafficStatusTip();

    // One refresh tick (the timer calls it; tests may too).
    void refresh();
    // File > Open without the dialog. False with the error shown (and returned in *error).
    bool openConfigFile(const QString& fileName, QString* error = nullptr);
    // Replaces the running lab with the built-in default one (proxy :8000, backends 8001-8003), the lab
    // the README's first steps describe; the window no longer reopens a file at the next start.
    void openDefaultLab();
    bool saveConfigFile(const QString& fileName, QString* error = nullptr);
    // File > Reload: the open file applied to the running lab live (Lab::reload: no connection dropped, one
    // event line says what changed). A file that does not load is refused with its error and changes
    // nothing. False with the reason in *error.
    bool reloadConfigFile(QString* error = nullptr);
    // File > Make certificate: a self-signed localhost certificate and key in `dir` (cert.pem, key.pem)
    // for a listener's "tls"; the message says how to use them. False with the reason in *error.
    bool makeCertificate(const QString& dir, QString* error = nullptr);
    // The proxy bar's HTTPS button (MainWindowHttps.cpp): an HTTPS listener on a free loopback port beside
    // the HTTP one, with a self-signed localhost certificate kept in httpsDirectory() (made once, reused
    // while valid), added live; the message gives the curl command that trusts it. With an HTTPS listener
    // already there it says that again and offers Stop HTTPS. False with the reason in *error.
    bool serveHttps(QString* error = nullptr);
    // Removes the lab's HTTPS listeners live (their requests in flight finish). False when there is none.
    bool stopHttps(QString* error = nullptr);
    // The port serveHttps tries first (8443); 0 = any free port (tests: they never take a fixed port).
    void setPreferredHttpsPort(int port) { m_preferredHttpsPort = port; }
    static QString httpsDirectory();
    // The lab differs from what was last opened or saved (backends, weights, algorithm, settings, traffic):
    // quitting or opening another lab asks Save / Discard / Cancel first (MainWindowFiles.cpp).
    bool labModified() const;
    // Who answers that question (a message box, which answers Discard itself offscreen and in CI).
    void setUnsavedPrompt(UnsavedPrompt prompt) { m_unsavedPrompt = std::move(prompt); }
    // File > Save: to the open file, else where a file dialog says. False when nothing was saved.
    bool saveLab();
    // Reset: the board's totals and percentiles, the status line, the charts and the share count from now.
    void resetCounters();

    // Lessons: plays a scenario file (a built-in lesson is ":/lessons/NN-name.json") in the lesson panel.
    // False with the error shown (and returned in *error).
    bool openLesson(const QString& fileName, QString* error = nullptr);
    LessonPanel* lessonPanel() const { return m_lessonPanel; }
    QDockWidget* lessonDock() const { return m_lessonDock; }
    QMenu* lessonsMenu() const { return m_lessonsMenu; }
    // Lessons > Record scenario… / Stop recording, without the dialog.
    ScenarioRecorder* recorder() const { return m_recorder; }
    void startRecording();
    bool stopRecording(const QString& fileName, QString* error = nullptr);

    // View > Zoom (Ctrl +, Ctrl −, Ctrl 0): the views' font (flow view, charts, hash view) scaled by a
    // factor their widgets inherit (the charts follow their panel's font); the panels, the board and the
    // status bar keep their size. Remembered in QSettings view/zoom.
    double zoom() const { return m_zoom.factor(); }
    void setZoom(double factor) { m_zoom.set(factor); }
    void zoomIn() { m_zoom.in(); }
    void zoomOut() { m_zoom.out(); }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void addReloadAndCertificateActions(QMenu* file); // MainWindowFiles.cpp
    void rebuildButtons();
    void updateButton(BackendId id);
    void toggleBackend(BackendId id);
    void addEmbedded();
    void addExternal();
    void removeSelected();
    int selectedRow() const;
    BackendId selectedBackend() const;
    void pollEvents();
    void updateStatus();
    void addRecent(const QString& fileName);
    void rebuildRecentMenu();
    void showMessage(const QString& text);
    // File > Export to HAProxy / nginx… and Prove against…: a ProductionDialog over the lab's config.
    void addProductionActions(QMenu* file);
    void openProduction(ProductionDialog::Page page);
    void updateTitle();
    // Before the lab is closed or replaced: true when it may go (unchanged, saved, or discarded).
    bool mayReplaceLab(const QString& question);
    void markSaved(); // what runs now is what was opened or saved
    // MainWindowLessons.cpp: the Lessons menu, the lesson dock and the recorder's wiring.
    void buildLessonDock();
    void buildLessonsMenu();
    void closeLesson();

    Lab* m_lab;
    BackendTableModel* m_model;
    TraceModel* m_traceModel;
    LoadGenerator* m_generator;
    MetricsHistory m_history;
    QElapsedTimer m_clock;
    int m_tick = 0;
    quint64 m_lastEvent = 0;
    QString m_currentFile;
    LabConfig m_savedConfig; // as last opened or saved, for labModified()
    bool m_labIsLesson = false; // a lesson loaded the lab: its changes are the lesson's, not the user's
    UnsavedPrompt m_unsavedPrompt;

    QTableView* m_table;
    QTableView* m_traceView;
    QPlainTextEdit* m_traceDetails;
    QPlainTextEdit* m_events;
    BackendPanel* m_backendPanel;
    ProxyPanel* m_proxyPanel;
    TrafficPanel* m_trafficPanel;
    ConsolePanel* m_consolePanel;
    ChartsPanel* m_charts;
    HealthTimeline* m_healthTimeline;
    ExportMenu* m_export;
    FlowViewTab* m_flowTab;
    HashView* m_hashView;
    QTabWidget* m_viewTabs;
    QTabWidget* m_tabs;
    QSplitter* m_mainSplit;
    QSplitter* m_leftSplit;
    QString m_statusFull; // the status line in full words; the bar may show it in short ones
    QByteArray m_viewsSplitState; // the left split of the other views, while the Experiments tab is shown
    QSplitter* m_rightSplit;
    QLabel* m_status;
    QLabel* m_pauseBanner; // shown while Pause freezes the views
    FollowTail* m_eventsFollow = nullptr;
    FollowTail* m_traceFollow = nullptr;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_lessonsMenu = nullptr;
    QAction* m_recordAction = nullptr;
    LessonPanel* m_lessonPanel;
    QDockWidget* m_lessonDock;
    ScenarioRecorder* m_recorder;
    QString m_lessonTitle; // the lesson playing, for the title
    QTimer* m_refreshTimer;
    QList<QPushButton*> m_buttons;
    ChangeMarkers m_changes;
    FontZoom m_zoom;
    QDialog* m_glossary = nullptr; // Help > Glossary, built on first use
    int m_preferredHttpsPort = 8443;
};

} // namespace lab
