#include "MainWindow.h"

#include "BackendTableModel.h"
#include "backends/FakeBackend.h"
#include "lab/Lab.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace lab {

MainWindow::MainWindow(Lab* lab, QWidget* parent)
    : QMainWindow(parent)
    , m_lab(lab)
    , m_model(new BackendTableModel(lab, this))
    , m_table(new QTableView)
    , m_events(new QPlainTextEdit)
    , m_refreshTimer(new QTimer(this))
{
    setWindowTitle(tr("Balancer Lab"));

    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(BackendTableModel::Name, QHeaderView::Stretch);

    for (int row = 0; row < m_lab->backendCount(); ++row) {
        QPushButton* button = nullptr;
        if (m_lab->embeddedBackend(row)) {
            button = new QPushButton;
            button->setObjectName(QStringLiteral("startStop-") + m_lab->backendConfig(row).name);
            connect(button, &QPushButton::clicked, this, [this, row] { toggleBackend(row); });
            m_table->setIndexWidget(m_model->index(row, BackendTableModel::Action), button);
        }
        m_buttons << button;
        updateButton(row);
    }

    m_events->setReadOnly(true);
    m_events->setMaximumBlockCount(2000);
    m_events->setPlaceholderText(tr("Events (backends started and stopped, faults, failovers) appear here."));

    auto* title = new QLabel(tr("<b>Backends</b> — start and stop the embedded backends; watch requests arrive."));
    auto* top = new QWidget;
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(title);
    topLayout->addWidget(m_table);

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(top);
    splitter->addWidget(m_events);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    setCentralWidget(splitter);

    QStringList listeners;
    for (const ListenerConfig& l : m_lab->config().listeners)
        listeners << QStringLiteral("%1 %2:%3").arg(l.kind == ListenerKind::Tcp ? QStringLiteral("tcp") : QStringLiteral("http"), l.address).arg(l.port);
    statusBar()->showMessage(tr("Listeners: %1 · algorithm: %2")
                                 .arg(listeners.isEmpty() ? tr("none") : listeners.join(QStringLiteral(", ")),
                                      m_lab->config().algorithm));

    connect(m_lab, &Lab::eventLogged, this, &MainWindow::appendEvent);
    connect(m_lab, &Lab::backendStateChanged, this, [this](int row) {
        updateButton(row);
        m_model->refresh();
    });
    connect(m_refreshTimer, &QTimer::timeout, this, &MainWindow::refresh);
    m_refreshTimer->start(100);
    resize(1100, 640);
}

QPushButton* MainWindow::startStopButton(int row) const
{
    return m_buttons.value(row);
}

void MainWindow::refresh()
{
    m_model->refresh();
}

void MainWindow::appendEvent(const QString& text)
{
    m_events->appendPlainText(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz  ")) + text);
}

void MainWindow::updateButton(int row)
{
    QPushButton* button = m_buttons.value(row);
    const FakeBackend* b = m_lab->embeddedBackend(row);
    if (!button || !b)
        return;
    const bool started = b->isStarted();
    button->setText(started ? tr("Stop") : tr("Start"));
    button->setToolTip(started ? tr("Stop %1: its port closes and new connections are refused.").arg(b->name())
                               : tr("Start %1 listening on port %2 again.").arg(b->name()).arg(b->port()));
}

void MainWindow::toggleBackend(int row)
{
    const FakeBackend* b = m_lab->embeddedBackend(row);
    if (!b)
        return;
    if (b->isStarted()) {
        m_lab->stopBackend(row);
    } else {
        QString error;
        if (!m_lab->startBackend(row, &error))
            statusBar()->showMessage(error, 10000);
    }
    updateButton(row);
    m_model->refresh();
}

} // namespace lab
