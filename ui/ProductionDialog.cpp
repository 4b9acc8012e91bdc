#include "ProductionDialog.h"

#include "loadgen/UserTraffic.h"
#include "prove/ProveRunner.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QTabWidget>
#include <QVBoxLayout>

namespace lab {

ProductionDialog::ProductionDialog(LabConfig config, Page page, QWidget* parent)
    : QDialog(parent)
    , m_config(std::move(config))
    , m_prompt(fileDialogPrompt(this))
    , m_format(new QComboBox(this))
    , m_tabs(new QTabWidget(this))
    , m_preview(new QPlainTextEdit(this))
    , m_warnings(new QListWidget(this))
    , m_save(new QPushButton(tr("&Save…"), this))
    , m_comparison(new QPlainTextEdit(this))
    , m_provePath(new QLineEdit(QStringLiteral("/"), this))
    , m_provePathOrigin(new QLabel(this))
    , m_proveStatus(new QLabel(this))
    , m_proveButton(new QPushButton(tr("&Run prove"), this))
{
    setWindowTitle(tr("Export to production"));
    setObjectName(QStringLiteral("productionDialog"));
    m_format->addItem(QStringLiteral("HAProxy"), int(ExportFormat::Haproxy));
    m_format->addItem(QStringLiteral("nginx"), int(ExportFormat::Nginx));
    m_format->setObjectName(QStringLiteral("exportFormat"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    for (QPlainTextEdit* t : {m_preview, m_comparison}) {
        t->setReadOnly(true);
        t->setFont(mono);
    }
    // The preview is the file as it will be saved, line for line; the comparison's notes and warnings are
    // sentences, which would otherwise run off the right edge (trial: two scrolls to read one warning).
    m_preview->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_comparison->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_warnings->setWordWrap(true);
    m_warnings->setResizeMode(QListView::Adjust);
    m_warnings->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_preview->setObjectName(QStringLiteral("exportPreview"));
    m_warnings->setObjectName(QStringLiteral("exportWarnings"));
    m_comparison->setObjectName(QStringLiteral("proveComparison"));
    m_comparison->setPlaceholderText(
        tr("Run prove to start the real target on a free loopback port in front of fresh copies of the lab's "
           "backends, send the same seeded requests through the lab's proxy and through it, and compare."));

    auto* exportPage = new QWidget(this);
    auto* ev = new QVBoxLayout(exportPage);
    ev->addWidget(m_preview, 3);
    auto* warnLabel = new QLabel(tr("What the target cannot express (also as comments in the file):"), exportPage);
    warnLabel->setBuddy(m_warnings);
    ev->addWidget(warnLabel);
    ev->addWidget(m_warnings, 1);
    auto* saveRow = new QHBoxLayout;
    saveRow->addStretch();
    saveRow->addWidget(m_save);
    ev->addLayout(saveRow);

    auto* provePage = new QWidget(this);
    auto* pv = new QVBoxLayout(provePage);
    auto* proveRow = new QHBoxLayout;
    auto* pathLabel = new QLabel(tr("P&ath:"), provePage);
    pathLabel->setBuddy(m_provePath);
    m_provePath->setObjectName(QStringLiteral("provePath"));
    m_provePath->setToolTip(
        tr("The path every request of the workload asks for (one range such as "
           "/item/{1..100} is allowed). A path no backend serves compares 404s. Only the path comes "
           "from the window's traffic: rate and length are prove's own (the table's first lines)."));
    // Wide enough for a path such as /item/{1..100} when the dialog opens, not only after a run.
    m_provePath->setMinimumWidth(m_provePath->fontMetrics().horizontalAdvance(QStringLiteral("/item/{1..100}__")));
    m_provePath->setMaximumWidth(260);
    proveRow->addWidget(pathLabel);
    proveRow->addWidget(m_provePath);
    m_provePathOrigin->setObjectName(QStringLiteral("provePathOrigin"));
    proveRow->addWidget(m_provePathOrigin);
    proveRow->addWidget(m_proveButton);
    proveRow->addWidget(m_proveStatus, 1);
    pv->addLayout(proveRow);
    pv->addWidget(m_comparison, 1);

    m_tabs->addTab(exportPage, tr("Config"));
    m_tabs->addTab(provePage, tr("Prove"));
    m_tabs->setCurrentIndex(page == Page::Prove ? 1 : 0);

    auto* top = new QHBoxLayout;
    auto* formatLabel = new QLabel(tr("&Target:"), this);
    formatLabel->setBuddy(m_format);
    top->addWidget(formatLabel);
    top->addWidget(m_format);
    top->addStretch();
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ProductionDialog::refresh);
    connect(m_save, &QPushButton::clicked, this, &ProductionDialog::save);
    connect(m_proveButton, &QPushButton::clicked, this, &ProductionDialog::startProve);
    resize(820, 600);
    refresh();
}

ProductionDialog::~ProductionDialog() = default;

void ProductionDialog::setProvePath(const QString& path, const QString& origin)
{
    m_provePath->setText(path);
    m_provePathOrigin->setText(origin.isEmpty() ? QString() : tr("(%1)").arg(origin));
    m_provePathOrigin->setVisible(!origin.isEmpty());
}

ExportFormat ProductionDialog::format() const
{
    return ExportFormat(m_format->currentData().toInt());
}

void ProductionDialog::setFormat(ExportFormat format)
{
    m_format->setCurrentIndex(m_format->findData(int(format)));
}

void ProductionDialog::refresh()
{
    ExportOptions options;
    options.sourceName = tr("the window's lab");
    options.metrics = metricsEndpointOf(m_config);
    const ExportResult r = exportConfig(format(), m_config, options);
    m_preview->setPlainText(QString::fromUtf8(r.text));
    m_warnings->clear();
    if (r.warnings.isEmpty())
        m_warnings->addItem(tr("Nothing: every feature of this lab is mapped."));
    else
        m_warnings->addItems(r.warnings);
    // A table from the other target would read as this one's result.
    if (!m_runner && !m_comparison->toPlainText().isEmpty() && m_comparedFormat != format())
        m_comparison->clear();
    m_proveStatus->setText(m_runner ? m_proveStatus->text()
                                    : tr("Flags per-backend shares more than %1 points apart; errors and latency "
                                         "are shown beside them.")
                                          .arg(ProveReport::kFlagPoints));
}

void ProductionDialog::save()
{
    const QString suggested =
        format() == ExportFormat::Haproxy ? QStringLiteral("haproxy.cfg") : QStringLiteral("nginx.conf");
    const QString path = m_prompt(tr("Save %1 config").arg(m_format->currentText()), suggested,
                                  tr("Config files (*.cfg *.conf);;All files (*)"));
    if (path.isEmpty())
        return;
    QSaveFile f(path);
    const QByteArray bytes = m_preview->toPlainText().toUtf8();
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) < 0 || !f.commit()) {
        Q_EMIT message(tr("cannot save %1: %2").arg(path, f.errorString()));
        return;
    }
    Q_EMIT message(tr("%1 config saved to %2").arg(m_format->currentText(), QFileInfo(path).absoluteFilePath()));
}

void ProductionDialog::startProve()
{
    if (m_runner)
        return;
    m_tabs->setCurrentIndex(1);
    WorkloadSpec workload = defaultProveWorkload(m_config);
    const QByteArray path = m_provePath->text().trimmed().toUtf8();
    PathTemplate parsed;
    QString why;
    if (!PathTemplate::parse(path, &parsed, &why)) {
        m_proveStatus->setText(tr("Path: %1").arg(why));
        return;
    }
    workload.path = path;
    m_runner = std::make_unique<ProveRunner>(format(), m_config, workload);
    connect(m_runner.get(), &ProveRunner::progress, m_proveStatus, &QLabel::setText);
    connect(m_runner.get(), &ProveRunner::finished, this, &ProductionDialog::onProveFinished, Qt::QueuedConnection);
    m_proveButton->setEnabled(false);
    m_format->setEnabled(false);
    m_provePath->setEnabled(false);
    m_comparison->clear();
    m_proveStatus->setText(tr("starting…"));
    m_runner->start();
}

void ProductionDialog::onProveFinished()
{
    std::unique_ptr<ProveRunner> runner = std::move(m_runner);
    m_proveButton->setEnabled(true);
    m_format->setEnabled(true);
    m_provePath->setEnabled(true);
    if (!runner->error().isEmpty()) {
        m_proveStatus->setText(runner->binaryMissing() ? runner->error() : tr("prove failed: %1").arg(runner->error()));
        m_comparison->setPlainText(runner->error());
    } else {
        const ProveReport& r = runner->report();
        m_comparison->setPlainText(proveTable(r));
        m_comparedFormat = r.target;
        m_proveStatus->setText(r.anyFlagged()
                                   ? tr("shares DIFFER by up to %1 points").arg(r.maxShareDifferencePoints(), 0, 'f', 1)
                                   : tr("shares agree within %1 points").arg(ProveReport::kFlagPoints));
    }
    Q_EMIT proveFinished();
}

} // namespace lab
