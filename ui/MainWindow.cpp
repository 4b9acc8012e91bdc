#include "MainWindow.h"

#include "AdminStatus.h"
#include "BackendPanel.h"
#include "BackendTableModel.h"
#include "BoardColumns.h"
#include "ChartsPanel.h"
#include "ConsolePanel.h"
#include "ExperimentsTab.h"
#include "ExportMenu.h"
#include "FlowView.h"
#include "FlowViewTab.h"
#include "FollowTail.h"
#include "Glossary.h"
#include "HashView.h"
#include "HealthTimeline.h"
#include "LessonPanel.h"
#include "ProxyPanel.h"
#include "TightTabStyle.h"
#include "TraceColumns.h"
#include "TraceModel.h"
#include "TrafficPanel.h"
#include "VerticalScrollArea.h"
#include "WeightDelegate.h"
#include "backend/Backend.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"
#include "teach/ScenarioPlayer.h"
#include "teach/ScenarioRecorder.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDialog>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTime>
#include <QTimer>
#include <QVBoxLayout>

namespace lab {

namespace {

QWidget* titled(const QString& title, QWidget* body, QLayout* extra = nullptr)
{
    auto* w = new QWidget;
    auto* layout = new QVBoxLayout(w);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    auto* label = new QLabel(title);
    label->setWordWrap(true);
    layout->addWidget(label);
    layout->addWidget(body, 1);
    if (extra)
        layout->addLayout(extra);
    return w;
}
// The least the views (Flow, Charts, Hash, Experiments) and the side tabs (Backend, Traffic …) take:
// with the splitter handle, 645 px beside a 1024 px window's lesson dock of 341 px.
constexpr int kViewsMinimumWidth = 360;
constexpr int kSideTabsMinimumWidth = 280;

} // namespace

MainWindow::MainWindow(Lab* lab, QWidget* parent)
    : QMainWindow(parent)
    , m_lab(lab)
    , m_model(new BackendTableModel(lab, this))
    , m_traceModel(new TraceModel(this))
    , m_generator(new LoadGenerator(this))
    , m_table(new QTableView)
    , m_traceView(new QTableView)
    , m_traceDetails(new QPlainTextEdit)
    , m_events(new QPlainTextEdit)
    , m_backendPanel(new BackendPanel(lab))
    , m_proxyPanel(new ProxyPanel(lab))
    , m_trafficPanel(new TrafficPanel(lab, m_generator))
    , m_consolePanel(new ConsolePanel(lab))
    , m_charts(new ChartsPanel)
    , m_healthTimeline(new HealthTimeline(lab))
    , m_export(new ExportMenu(&m_history, m_traceModel, m_charts, this))
    , m_flowTab(new FlowViewTab(lab, m_generator))
    , m_hashView(new HashView(lab))
    , m_viewTabs(new QTabWidget)
    , m_tabs(new QTabWidget)
    , m_mainSplit(new QSplitter(Qt::Horizontal))
    , m_leftSplit(new QSplitter(Qt::Vertical))
    , m_rightSplit(new QSplitter(Qt::Vertical))
    , m_status(new QLabel)
    , m_pauseBanner(new QLabel)
    , m_lessonPanel(new LessonPanel(lab))
    , m_lessonDock(new QDockWidget(tr("Lesson"), this))
    , m_recorder(new ScenarioRecorder(lab, {}, this))
    , m_refreshTimer(new QTimer(this))
    , m_changes(lab, m_model)
    , m_zoom(m_viewTabs)
{
    m_clock.start();

    // The board.
    m_table->setModel(m_model);
    m_table->setObjectName(QStringLiteral("board"));
    m_table->setItemDelegateForColumn(BackendTableModel::Weight, new WeightDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                             QAbstractItemView::AnyKeyPressed);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(26);
    new BoardColumns(m_table); // the columns fit the board's width (a 1024 px window never scrolls it)
    // Start/Stop beside the name, where the eye is when it reads which backend it is.
    m_table->horizontalHeader()->moveSection(BackendTableModel::Action, BackendTableModel::Name + 1);
    m_table->setToolTip(
        tr("One row per backend. Select a row to drain it or inject faults; click a weight (✎) to edit it."));
    // One click on a weight edits it: double-click alone was not found (trial 5).
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& index) {
        if (index.column() == BackendTableModel::Weight)
            m_table->edit(index);
    });
    auto* addEmbeddedButton = new QPushButton(tr("+ &Embedded backend"));
    addEmbeddedButton->setToolTip(
        tr("Start another fake backend in the lab on the next free port and add it to the pool."));
    auto* addExternalButton = new QPushButton(tr("+ E&xternal…"));
    addExternalButton->setToolTip(
        tr("Add a backend outside the lab by host:port (e.g. one started with balancer-lab backend)."));
    auto* removeButton = new QPushButton(tr("Re&move"));
    removeButton->setObjectName(QStringLiteral("removeBackend"));
    removeButton->setToolTip(tr("Take the selected backend out of the pool (an embedded one is stopped)."));
    connect(addEmbeddedButton, &QPushButton::clicked, this, &MainWindow::addEmbedded);
    connect(addExternalButton, &QPushButton::clicked, this, &MainWindow::addExternal);
    connect(removeButton, &QPushButton::clicked, this, &MainWindow::removeSelected);
    auto* boardButtons = new QHBoxLayout;
    boardButtons->addWidget(addEmbeddedButton);
    boardButtons->addWidget(addExternalButton);
    boardButtons->addWidget(removeButton);
    boardButtons->addStretch(1);
    // The windows the live columns cover, where the eye is: a p50 that lags a switch is the last 10 s.
    QWidget* board = titled(tr("<b>Backends</b> — stop one and watch its traffic move to the others. "
                               "<span style='color:#606670'>Req/s: last second · p50-p99: last 10 s · Reqs, Err: "
                               "since Reset</span>"),
                            m_table, boardButtons);

    // The trace.
    m_traceView->setModel(m_traceModel);
    m_traceView->setObjectName(QStringLiteral("trace"));
    m_traceView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_traceView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_traceView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_traceView->verticalHeader()->hide();
    m_traceView->verticalHeader()->setDefaultSectionSize(22);
    new TraceColumns(m_traceView); // Time, Status, ms and Served by whole; the list never scrolls sideways
    m_traceDetails->setReadOnly(true);
    m_traceDetails->setObjectName(QStringLiteral("traceDetails"));
    m_traceDetails->setPlaceholderText(tr("Select a request to see its details."));
    auto* traceJump = new QPushButton;
    traceJump->setObjectName(QStringLiteral("traceNew"));
    traceJump->setToolTip(tr("Requests arrived below while you looked at older ones: jump to the newest."));
    m_traceFollow = new FollowTail(m_traceView, traceJump);
    auto* traceList = new QWidget;
    auto* traceListLayout = new QVBoxLayout(traceList);
    traceListLayout->setContentsMargins(0, 0, 0, 0);
    traceListLayout->setSpacing(2);
    traceListLayout->addWidget(m_traceView, 1);
    traceListLayout->addWidget(traceJump, 0, Qt::AlignRight);
    auto* traceSplit = new QSplitter(Qt::Vertical);
    traceSplit->addWidget(traceList);
    traceSplit->addWidget(m_traceDetails);
    traceSplit->setStretchFactor(0, 3);
    traceSplit->setStretchFactor(1, 1);
    connect(m_traceView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                // Pinned, the selected request stays in the list (and selected) while new ones arrive.
                m_traceModel->setPinnedSequence(current.isValid() ? m_traceModel->entry(current.row()).sequence : 0);
                m_traceDetails->setPlainText(
                    current.isValid() ? TraceModel::describe(m_traceModel->entry(current.row())) : QString());
            });

    m_events->setReadOnly(true);
    m_events->setObjectName(QStringLiteral("events"));
    m_events->setMaximumBlockCount(2000);
    m_events->setPlaceholderText(
        tr("Events (backends started and stopped, faults, failovers, config changes) appear here."));
    auto* eventsJump = new QPushButton;
    eventsJump->setObjectName(QStringLiteral("eventsNew"));
    eventsJump->setToolTip(tr("Events arrived below while you read older ones: jump to the newest."));
    m_eventsFollow = new FollowTail(m_events, eventsJump);
    auto* eventsExtra = new QHBoxLayout;
    eventsExtra->setContentsMargins(0, 0, 0, 0);
    eventsExtra->addStretch(1);
    eventsExtra->addWidget(eventsJump);

    m_tabs->addTab(new VerticalScrollArea(m_backendPanel), tr("Backend"));
    m_tabs->addTab(new VerticalScrollArea(m_trafficPanel), tr("Traffic"));
    m_tabs->addTab(new VerticalScrollArea(m_consolePanel), tr("Console"));
    m_tabs->addTab(traceSplit, tr("Trace"));
    m_tabs->addTab(m_healthTimeline, tr("Health"));
    TightTabStyle::apply(m_tabs); // every title whole at 1024 px with the lesson dock
    m_tabs->setTabToolTip(4, tr("Each backend's probes and health states over the last two minutes (Alt+5)."));
    m_tabs->setTabToolTip(0, tr("Faults and draining for the backend selected on the board (Alt+1)."));
    m_tabs->setTabToolTip(1, tr("Send a bounded burst of requests through the proxy (Alt+2)."));
    m_tabs->setTabToolTip(2, tr("Send one request by hand and see which backend answered, and how (Alt+3)."));
    m_tabs->setTabToolTip(3, tr("Recent requests (sampled under load) with the backends each one tried (Alt+4)."));
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto* shortcut = new QShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)), this);
        connect(shortcut, &QShortcut::activated, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }

    // The flow view first, where a learner looks: the proxy's real requests as dots; the charts one tab away.
    m_viewTabs->addTab(m_flowTab, tr("Flow"));
    m_viewTabs->addTab(m_charts, tr("Charts"));
    m_viewTabs->setTabToolTip(0, tr("Each request through the proxy as a dot: client → proxy → backend and back."));
    m_viewTabs->setTabToolTip(1, tr("Requests/s per backend, latency and each backend's share over the last minute."));
    m_viewTabs->addTab(m_hashView, tr("Hash"));
    m_viewTabs->setTabToolTip(
        2,
        tr("Which backend each simulated user is on, and who moved when a backend left or joined (ip-hash, "
           "ring-hash, maglev, sticky sessions)."));
    // Experiments run labs of their own on free ports: the tab needs nothing from this window's lab.
    auto* experiments = new ExperimentsTab;
    m_viewTabs->addTab(experiments, tr("Experiments"));
    m_viewTabs->setTabToolTip(3,
                              tr("The same seeded traffic through several algorithms, side by side, with "
                                 "queueing theory beside the measurement."));
    // While the Experiments tab is shown the board (this window's lab, which experiments do not use) gives
    // it all but a few rows of height: at 768 px the charts were too short to read. The split the other
    // views had comes back when one of them is chosen.
    connect(m_viewTabs, &QTabWidget::currentChanged, this, [this, experiments](int index) {
        constexpr int kBoardBesideExperiments = 110;
        const bool experimenting = m_viewTabs->widget(index) == experiments;
        if (experimenting && m_viewsSplitState.isEmpty()) {
            m_viewsSplitState = m_leftSplit->saveState();
            const QList<int> sizes = m_leftSplit->sizes();
            const int total = sizes.value(0) + sizes.value(1);
            if (sizes.value(1) > kBoardBesideExperiments)
                m_leftSplit->setSizes({total - kBoardBesideExperiments, kBoardBesideExperiments});
        } else if (!experimenting && !m_viewsSplitState.isEmpty()) {
            m_leftSplit->restoreState(m_viewsSplitState);
            m_viewsSplitState.clear();
        }
    });
    // The views area needs only the shown tab's least width: the charts' (or experiments') minimum made the
    // Flow tab scroll sideways at 1024 px with the lesson dock, showing the proxy or the backends, never
    // both (trial 5). A hidden page's minimum is ignored; its own policy comes back when it is shown.
    for (int i = 0; i < m_viewTabs->count(); ++i)
        m_viewTabs->widget(i)->setProperty("labPolicy", QVariant::fromValue(m_viewTabs->widget(i)->sizePolicy()));
    auto onlyShownTabCounts = [this](int current) {
        for (int i = 0; i < m_viewTabs->count(); ++i) {
            QWidget* page = m_viewTabs->widget(i);
            page->setSizePolicy(i == current ? page->property("labPolicy").value<QSizePolicy>()
                                             : QSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored));
        }
        m_viewTabs->updateGeometry();
    };
    onlyShownTabCounts(m_viewTabs->currentIndex());
    connect(m_viewTabs, &QTabWidget::currentChanged, this, onlyShownTabCounts);
    connect(m_flowTab, &FlowViewTab::backendClicked, this,
            [this](BackendId id) { m_table->selectRow(m_model->rowOf(id)); });
    // One banner for Pause, above both tab rows: tab titles that grew "(paused)" pushed Health out of
    // view (trial 5). It names what is frozen and what stays live, so a board that moves while the flow
    // view stands still is not a contradiction. It takes the algorithm summary's line, whose height is
    // kept for the taller of the two: appearing, it moved the views down 22 px (re-trial).
    m_pauseBanner->setObjectName(QStringLiteral("pauseBanner"));
    m_pauseBanner->setWordWrap(true);
    m_pauseBanner->setStyleSheet(QStringLiteral("QLabel { background: #fff4d6; border: 1px solid #e0b860; "
                                                "padding: 0px 6px; }"));
    const auto bannerText = [](const QString& time) {
        return tr("<b>Paused at %1</b> — frozen as they were then: flow view, charts, the trace list · Live, still "
                  "counting: board, status bar, Events")
            .arg(time);
    };
    m_pauseBanner->setText(bannerText(QStringLiteral("00:00:00")));
    m_pauseBanner->setToolTip(tr("The proxy keeps working while paused; Resume jumps to the present."));
    m_proxyPanel->setNotice(m_pauseBanner);
    connect(m_flowTab, &FlowViewTab::pausedChanged, this, [this, bannerText](bool paused) {
        m_pauseBanner->setText(bannerText(QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
        m_proxyPanel->showNotice(paused);
        if (paused) {
            m_charts->pause();
        } else {
            refresh(); // catch up now, not at the next tick
        }
    });
    // The views and the side tabs give way (they scroll sideways) before the window outgrows a 1024 px
    // screen with the lesson dock open; the board below fits any width by itself (BoardColumns).
    auto* views = new GiveWayArea(m_viewTabs, kViewsMinimumWidth);
    views->setObjectName(QStringLiteral("viewsArea"));
    // At least this wide whatever the shown tab needs: the board under it needs the width at 1024 px.
    views->setMinimumWidth(kViewsMinimumWidth);
    m_leftSplit->addWidget(views);
    m_leftSplit->addWidget(board);
    m_leftSplit->setStretchFactor(0, 2);
    m_leftSplit->setStretchFactor(1, 1);
    auto* sideTabs = new GiveWayArea(m_tabs, kSideTabsMinimumWidth);
    sideTabs->setObjectName(QStringLiteral("sideTabsArea"));
    m_rightSplit->addWidget(sideTabs);
    m_rightSplit->addWidget(titled(tr("<b>Events</b>"), m_events, eventsExtra));
    m_rightSplit->setStretchFactor(0, 3);
    m_rightSplit->setStretchFactor(1, 2);
    m_mainSplit->addWidget(m_leftSplit);
    m_mainSplit->addWidget(m_rightSplit);
    // The side tabs keep their width when the window narrows (the lesson dock opens): the views give way
    // first, so at 1366 px with the dock neither pane scrolls sideways.
    m_mainSplit->setStretchFactor(0, 1);
    m_mainSplit->setStretchFactor(1, 0);

    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addWidget(m_proxyPanel);
    layout->addWidget(m_mainSplit, 1);
    setCentralWidget(central);
    statusBar()->addPermanentWidget(m_status, 1);
    m_status->setObjectName(QStringLiteral("statusSummary"));
    m_status->setToolTip(trafficStatusTip());
    statusBar()->addPermanentWidget(new AdminStatus(m_lab, this)); // the admin API's port (issue 17)

    buildLessonDock();
    buildMenus();
    rebuildButtons();

    connect(m_model, &BackendTableModel::rowsRebuilt, this, &MainWindow::rebuildButtons);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                const BackendId id = m_model->idAt(current.isValid() ? current.row() : -1);
                m_backendPanel->setBackend(id);
                // The board's selection shows on the flow view too, with the backend's details.
                const BackendPtr b = id.isValid() && m_lab->hasBackend(id) ? m_lab->poolBackend(id) : nullptr;
                m_flowTab->view()->selectBackend(b ? b->id : -1);
            });
    // A new lab's board has no selection: neither the Backend tab nor the flow view keeps the old one.
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_backendPanel->setBackend({});
        m_flowTab->view()->selectBackend(-1);
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] { m_backendPanel->setBackend(selectedBackend()); });
    connect(m_lab, &Lab::backendStateChanged, this, [this](BackendId id) {
        updateButton(id);
        if (id == m_backendPanel->backend())
            m_backendPanel->reload();
    });
    connect(m_lab, &Lab::labReset, this, [this] {
        m_history.clear();
        m_export->clear();
        m_charts->reset();
        m_traceModel->restart(); // the new proxy's trace counts from 1 again
        // Nothing of the old lab's requests stays on show: not the selected one's details, not its dots.
        m_traceDetails->clear();
        m_flowTab->view()->clear();
        m_changes.forget(); // a new lab is not a change to mark
        updateTitle();
    });
    connect(m_charts, &ChartsPanel::resetRequested, this, &MainWindow::resetCounters);
    connect(m_proxyPanel, &ProxyPanel::message, this, &MainWindow::showMessage);
    connect(m_proxyPanel, &ProxyPanel::httpsRequested, this, [this] { serveHttps(); });
    connect(m_export, &ExportMenu::message, this, &MainWindow::showMessage);
    connect(m_charts, &ChartsPanel::message, this, &MainWindow::showMessage);
    connect(m_refreshTimer, &QTimer::timeout, this, &MainWindow::refresh);
    m_refreshTimer->start(kRefreshMs);

    // Sized for a 1366x768 screen; the splitters share out anything bigger.
    m_mainSplit->setSizes({990, 360});
    m_leftSplit->setSizes({400, 200});
    m_rightSplit->setSizes({380, 220});
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1360, 720);
    // A saved size from a bigger screen (or from a layout that once overflowed) is cut to this screen.
    if (const QScreen* s = screen()) {
        const QRect available = s->availableGeometry();
        if (width() > available.width() || height() > available.height())
            resize(qMin(width(), available.width()), qMin(height(), available.height()));
    }
    m_mainSplit->restoreState(settings.value(QStringLiteral("window/mainSplit")).toByteArray());
    m_leftSplit->restoreState(settings.value(QStringLiteral("window/leftSplitFlow")).toByteArray());
    m_rightSplit->restoreState(settings.value(QStringLiteral("window/rightSplit")).toByteArray());
    m_currentFile = settings.value(QStringLiteral("files/current")).toString();
    if (!m_currentFile.isEmpty()) // opened with --config or reopened: it belongs in Open recent too
        addRecent(m_currentFile);
    updateTitle();
    m_zoom.restore();
    m_unsavedPrompt = messageBoxUnsavedPrompt(this);
    markSaved();
    refresh();
}

MainWindow::~MainWindow()
{
    m_refreshTimer->stop();
    m_generator->stop();
    // QWidget's destructor hides the children after this one has run: the lesson dock's visibilityChanged
    // must not reach a handler of a MainWindow that no longer exists (UBSan saw it in tst_lessons).
    disconnect(m_lessonDock, nullptr, this, nullptr);
}

FlowView* MainWindow::flowView() const
{
    return m_flowTab->view();
}

TimeControls* MainWindow::timeControls() const
{
    return m_flowTab->controls();
}

QPushButton* MainWindow::startStopButton(int row) const
{
    return m_buttons.value(row);
}

void MainWindow::rebuildButtons()
{
    m_buttons.clear();
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const BackendId id = m_model->idAt(row);
        QPushButton* button = nullptr;
        if (m_lab->embeddedBackend(id)) {
            button = new QPushButton;
            button->setObjectName(QStringLiteral("startStop-") + m_lab->backendConfig(id).name);
            connect(button, &QPushButton::clicked, this, [this, id] { toggleBackend(id); });
            m_table->setIndexWidget(m_model->index(row, BackendTableModel::Action), button);
        }
        m_buttons << button;
        updateButton(id);
    }
}

void MainWindow::updateButton(BackendId id)
{
    QPushButton* button = m_buttons.value(m_model->rowOf(id));
    const FakeBackend* b = m_lab->embeddedBackend(id);
    if (!button || !b)
        return;
    const bool started = b->isStarted();
    if (m_lab->isStopping(id)) {
        button->setText(tr("Stopping…"));
        button->setToolTip(
            tr("Draining: requests in flight finish (up to %1 s), then it stops.").arg(kStopDrainMs / 1000));
        return;
    }
    button->setText(started ? tr("Stop") : tr("Start"));
    button->setToolTip(started ? tr("Stop %1: its port closes and new connections are refused.").arg(b->name())
                               : tr("Start %1 listening on port %2 again.").arg(b->name()).arg(b->port()));
}

void MainWindow::toggleBackend(BackendId id)
{
    const FakeBackend* b = m_lab->embeddedBackend(id);
    if (!b)
        return;
    if (m_lab->isStopping(id))
        return;
    if (b->isStarted()) {
        m_lab->drainAndStop(id, kStopDrainMs); // requests in flight finish first
    } else {
        QString error;
        if (!m_lab->startBackend(id, &error))
            showMessage(error);
    }
    updateButton(id);
    m_model->refreshState();
}

int MainWindow::selectedRow() const
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    return current.isValid() && m_table->selectionModel()->isRowSelected(current.row(), {}) ? current.row() : -1;
}

BackendId MainWindow::selectedBackend() const
{
    return m_model->idAt(selectedRow());
}

void MainWindow::addEmbedded()
{
    QString error;
    const BackendId id = m_lab->addEmbeddedBackend(&error);
    if (!id.isValid())
        showMessage(error);
    else
        m_table->selectRow(m_model->rowOf(id));
}

void MainWindow::addExternal()
{
    bool ok = false;
    const QString spec = QInputDialog::getText(
        this, tr("Add external backend"), tr("Address of a backend outside the lab (IP:port), e.g. 127.0.0.1:9001:"),
        QLineEdit::Normal, QStringLiteral("127.0.0.1:"), &ok);
    if (!ok || spec.trimmed().isEmpty())
        return;
    const std::optional<HostPort> address = parseHostPort(spec.trimmed());
    QString error;
    const BackendId id =
        address ? m_lab->addExternalBackend(address->host.trimmed(), address->port, &error) : BackendId{};
    const schema::Range ports = schema::rangeOf(&BackendConfig::port);
    if (!id.isValid())
        showMessage(
            address
                ? error
                : tr("expected IP:port with a port from %1 to %2 (got '%3')").arg(ports.min).arg(ports.max).arg(spec));
    else
        m_table->selectRow(m_model->rowOf(id));
}

void MainWindow::removeSelected()
{
    const BackendId id = selectedBackend();
    if (!id.isValid()) {
        showMessage(tr("Select a backend on the board first."));
        return;
    }
    m_lab->removeBackend(id);
}

void MainWindow::refresh()
{
    m_history.push(m_lab->snapshot());
    m_model->refresh(m_history);
    if (const QStringList changes = m_changes.changes(); !changes.isEmpty()) // one marker per look
        m_charts->addMarker(double(m_clock.elapsed()) / 1000.0, changes.join(QStringLiteral(" · ")));
    pollEvents();
    // Pause freezes the flow view, the charts and the trace list; the history and the board go on.
    const bool paused = m_flowTab->isPaused();
    if (Proxy* p = m_lab->httpProxy(); p && !paused) {
        const QList<TraceEntry> batch = p->trace().since(m_traceModel->lastSequence());
        m_traceFollow->aboutToAdd();
        m_traceModel->append(batch);
        m_traceFollow->added(int(batch.size()));
    }
    m_flowTab->refresh(*m_model);
    m_trafficPanel->refresh();
    // The users of the lesson playing, else of the Traffic tab: the generator whose requests the lab sees.
    const ScenarioPlayer* lesson = m_lessonPanel->player();
    m_hashView->refresh(lesson ? lesson->usersTotals() : m_generator->totals(), m_history.latest(), *m_model);
    // The charts move twice a second: smooth enough to read, cheap enough at full load.
    if (m_tick++ % 5 == 0) {
        if (!paused)
            m_charts->addSample(m_history, double(m_clock.elapsed()) / 1000.0);
        m_export->record(m_history); // the history goes on while the charts are paused
        if (m_healthTimeline->isVisible())
            m_healthTimeline->update();
    }
    updateStatus();
}

void MainWindow::pollEvents()
{
    const QList<LabEvent> batch = m_lab->events().since(m_lastEvent);
    if (batch.isEmpty())
        return;
    m_lastEvent = batch.last().sequence;
    QString text;
    for (const LabEvent& e : batch) {
        if (!text.isEmpty())
            text += QLatin1Char('\n');
        text += e.time.toString(QStringLiteral("HH:mm:ss.zzz")) +
            QStringLiteral("  %1  ").arg(EventLog::kindName(e.kind), -8) + e.text;
    }
    m_eventsFollow->aboutToAdd();
    m_events->appendPlainText(text);
    m_eventsFollow->added(int(batch.size()));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (!mayReplaceLab(tr("The lab has changed since it was opened or saved. Save it before quitting?"))) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/mainSplit"), m_mainSplit->saveState());
    settings.setValue(QStringLiteral("window/leftSplitFlow"),
                      m_viewsSplitState.isEmpty() ? m_leftSplit->saveState() : m_viewsSplitState);
    settings.setValue(QStringLiteral("window/rightSplit"), m_rightSplit->saveState());
    QMainWindow::closeEvent(event);
}

} // namespace lab
