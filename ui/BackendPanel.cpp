#include "BackendPanel.h"

#include "PanelFields.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>

namespace lab {

BackendPanel::BackendPanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_title(new QLabel)
    , m_drain(
          makeCheckBox(tr("Drain"), tr("Take it out of rotation gently: no new requests, the ones in flight finish.")))
    , m_faultBox(new QWidget)
    , m_latency(makeSpinBox(&FaultProfile::latencyMs, tr(" ms"),
                            tr("Added before every answer, in ms: a slow backend. Holds no worker.")))
    , m_jitter(makeSpinBox(&FaultProfile::jitterMs, tr(" ms"),
                           tr("Plus a random 0..jitter ms on top of the latency: an uneven backend.")))
    , m_errorRate(new QDoubleSpinBox)
    , m_healthFails(
          makeCheckBox(tr("/health fails"),
                       tr("/health answers 503 while normal requests are still served: what a health check sees.")))
    , m_onlyPaths(new QLineEdit)
    , m_capacity(makeSpinBox(&FaultProfile::capacity, tr(" requests"),
                             tr("A fault, not the capacity model: with more than this many requests in progress "
                                "(waiting, in service or in their latency) the next one is refused at once with "
                                "503 over capacity. Nothing waits and nothing slows down. Unit: requests in "
                                "progress; 0 = off.")))
    , m_workers(makeSpinBox(&FaultProfile::workers, tr(" at once"),
                            tr("Capacity model: how many requests the backend serves at the same time, each for "
                               "its service time; the others wait in the queue, so its latency grows with its "
                               "load. Unit: requests in service; 0 = unlimited (nobody waits).")))
    , m_queue(makeSpinBox(&FaultProfile::queue, tr(" waiting"),
                          tr("Capacity model: how many requests may wait for a free worker, first come first "
                             "served; one more gets 503 queue full. Unit: requests waiting.")))
    , m_serviceMs(makeSpinBox(&FaultProfile::serviceMs, tr(" ms"),
                              tr("Capacity model: mean time a request holds a worker, in ms (a request's "
                                 "X-Lab-Cost-Ms header sets its own). Latency and jitter come on top and hold no "
                                 "worker.")))
    , m_serviceDist(new QComboBox)
    , m_hang(makeCheckBox(tr("Hang"), tr("Accept requests and never answer: only a timeout saves the client.")))
    , m_refuse(
          makeCheckBox(tr("Refuse"), tr("Close the listening port: connections are refused, as when a process dies.")))
    , m_healthBox(new QWidget)
    , m_probe(makeCheckBox(tr("Probe it"),
                           tr("Send this backend active health probes; off = only real traffic judges it.")))
    , m_probeType(new QComboBox)
    , m_probePath(new QLineEdit)
    , m_interval(makeSpinBox(&HealthConfig::intervalMs, tr(" ms"),
                             tr("Time between two probes (plus or minus 10%, so probes do not synchronise).")))
    , m_timeout(
          makeSpinBox(&HealthConfig::timeoutMs, tr(" ms"), tr("A probe without an answer by then counts as failed.")))
    , m_rise(
          makeSpinBox(&HealthConfig::rise, QString(), tr("Passed probes in a row that bring a down backend back up.")))
    , m_fall(makeSpinBox(&HealthConfig::fall, QString(), tr("Failed probes in a row that take an up backend down.")))
{
    m_probeType->addItems(schema::keyOf(&HealthConfig::type).allowed());
    m_probeType->setToolTip(tr("http: GET the path and expect a 2xx/3xx answer; tcp: a connection is enough."));
    m_probePath->setToolTip(tr("The path an HTTP probe asks for."));
    auto* health = new QFormLayout(m_healthBox);
    health->setContentsMargins(0, 0, 0, 0);
    auto* probeLine = new QHBoxLayout;
    probeLine->addWidget(m_probe);
    probeLine->addWidget(m_probeType);
    probeLine->addWidget(m_probePath, 1);
    health->addRow(probeLine);
    auto* timing = new QHBoxLayout;
    timing->addWidget(m_interval);
    timing->addWidget(new QLabel(tr("timeout")));
    timing->addWidget(m_timeout);
    health->addRow(tr("Every"), timing);
    auto* thresholds = new QHBoxLayout;
    thresholds->addWidget(new QLabel(tr("rise")));
    thresholds->addWidget(m_rise);
    thresholds->addWidget(new QLabel(tr("fall")));
    thresholds->addWidget(m_fall);
    thresholds->addStretch(1);
    health->addRow(thresholds);
    for (QSpinBox* s : {m_interval, m_timeout, m_rise, m_fall})
        connect(s, &QSpinBox::valueChanged, this, &BackendPanel::applyHealth);
    connect(m_probe, &QCheckBox::toggled, this, &BackendPanel::applyHealth);
    connect(m_probeType, &QComboBox::currentIndexChanged, this, &BackendPanel::applyHealth);
    connect(m_probePath, &QLineEdit::editingFinished, this, &BackendPanel::applyHealth);

    m_errorRate->setRange(double(schema::rangeOf(&FaultProfile::errorRatePercent).min),
                          double(schema::rangeOf(&FaultProfile::errorRatePercent).max));
    m_errorRate->setDecimals(1);
    m_errorRate->setSuffix(tr(" %"));
    m_errorRate->setKeyboardTracking(false);
    m_errorRate->setToolTip(tr("Share of requests answered 500 Internal Server Error, in percent."));
    m_workers->setSpecialValueText(tr("unlimited"));
    m_serviceDist->addItems(schema::keyOf(&FaultProfile::serviceDist).allowed());
    m_serviceDist->setObjectName(QLatin1String(schema::keyOf(&FaultProfile::serviceDist).name));
    m_serviceDist->setToolTip(tr("fixed: every request takes the mean; exp: exponential (M/M/c queueing); "
                                 "lognormal: a long tail (sigma %1).")
                                  .arg(FaultProfile::kLognormalSigma));
    m_onlyPaths->setObjectName(QStringLiteral("onlyPaths"));
    m_onlyPaths->setPlaceholderText(tr("all paths"));
    m_onlyPaths->setToolTip(tr("Comma-separated paths it serves (and below); others get 404. Empty = all."));
    m_title->setWordWrap(true);

    // Two groups a learner can tell apart: the capacity model (how much work the backend does, so queues
    // and latency grow with load) and the faults (what goes wrong whatever the load), the request cap
    // among the faults: it refuses, it never queues.
    m_capacity->setSpecialValueText(tr("off"));
    auto* fields = new QVBoxLayout(m_faultBox);
    fields->setContentsMargins(0, 0, 0, 0);
    auto* faultsTitle = new QLabel(tr("<b>Faults</b>: what goes wrong, whatever the load"));
    faultsTitle->setWordWrap(true);
    fields->addWidget(faultsTitle);
    auto* faults = new QFormLayout;
    faults->addRow(tr("Latency"), m_latency);
    faults->addRow(tr("Jitter"), m_jitter);
    faults->addRow(tr("Error rate"), m_errorRate);
    faults->addRow(tr("Refuse above"), m_capacity);
    faults->addRow(tr("Only paths"), m_onlyPaths);
    auto* flags = new QGridLayout;
    flags->addWidget(m_healthFails, 0, 0);
    flags->addWidget(m_hang, 0, 1);
    flags->addWidget(m_refuse, 1, 0);
    faults->addRow(flags);
    fields->addLayout(faults);
    auto* modelTitle = new QLabel(tr("<b>Capacity model</b>: requests wait for a worker"));
    modelTitle->setToolTip(m_workers->toolTip());
    modelTitle->setWordWrap(true);
    fields->addWidget(modelTitle);
    auto* model = new QFormLayout;
    model->addRow(tr("Workers"), m_workers);
    model->addRow(tr("Queue"), m_queue);
    auto* service = new QHBoxLayout;
    service->addWidget(m_serviceMs);
    service->addWidget(m_serviceDist);
    model->addRow(tr("Service time"), service);
    fields->addLayout(model);
    // Said on the page, not only in a tooltip: which of the two delays holds a worker (trial 5 asked).
    auto* delays = new QLabel(tr("Service time holds a worker; the others queue. Latency (a fault, above) comes "
                                 "after the service and holds no worker: on the board those requests are in "
                                 "flight, neither busy nor queued."));
    delays->setObjectName(QStringLiteral("serviceVsLatency"));
    delays->setWordWrap(true);
    delays->setStyleSheet(QStringLiteral("color: #606670;"));
    fields->addWidget(delays);
    // A row's label explains itself like its field: the learner hovers the word, not the box.
    for (auto [form, field] : {std::pair<QFormLayout*, QWidget*>{model, m_workers},
                               {model, m_queue},
                               {faults, m_latency},
                               {faults, m_jitter},
                               {faults, m_errorRate},
                               {faults, m_capacity},
                               {faults, m_onlyPaths}}) {
        if (QWidget* label = form->labelForField(field))
            label->setToolTip(field->toolTip());
    }
    if (QWidget* label = model->labelForField(service))
        label->setToolTip(m_serviceMs->toolTip());

    auto* layout = new QVBoxLayout(this);
    // Narrow margins: the window scrolls this page up and down beside a scroll bar, and at 1.3x zoom in a
    // 1024 px window the page's minimum width is what the right-hand column has to spare.
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addWidget(m_drain);
    auto* embeddedOnly = new QLabel(tr("<i>Capacity model and faults: embedded backends only.</i>"));
    embeddedOnly->setWordWrap(true);
    layout->addWidget(embeddedOnly);
    layout->addWidget(m_faultBox);
    layout->addWidget(new QLabel(tr("<b>Health checks</b> for this backend")));
    layout->addWidget(m_healthBox);
    layout->addStretch(1);

    connect(m_drain, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_loading && m_id.isValid())
            m_lab->setDraining(m_id, on);
    });
    for (QSpinBox* s : {m_latency, m_jitter, m_capacity, m_workers, m_queue, m_serviceMs})
        connect(s, &QSpinBox::valueChanged, this, &BackendPanel::apply);
    connect(m_serviceDist, &QComboBox::currentIndexChanged, this, &BackendPanel::apply);
    connect(m_errorRate, &QDoubleSpinBox::valueChanged, this, &BackendPanel::apply);
    for (QCheckBox* c : {m_healthFails, m_hang, m_refuse})
        connect(c, &QCheckBox::toggled, this, &BackendPanel::apply);
    connect(m_onlyPaths, &QLineEdit::editingFinished, this, &BackendPanel::apply);
    setBackend({});
}

void BackendPanel::setBackend(BackendId id)
{
    m_id = m_lab->hasBackend(id) ? id : BackendId{};
    reload();
}

void BackendPanel::reload()
{
    if (!m_lab->hasBackend(m_id))
        m_id = {};
    m_loading = true;
    const bool valid = m_id.isValid();
    const FakeBackend* fake = valid ? m_lab->embeddedBackend(m_id) : nullptr;
    m_drain->setEnabled(valid && m_lab->poolBackend(m_id));
    m_drain->setChecked(valid && m_lab->isDraining(m_id));
    m_faultBox->setEnabled(fake != nullptr);
    m_healthBox->setEnabled(valid);
    // No backend: the greyed fields show the defaults, not the last backend's values (a lab opened after a
    // lesson kept showing the lesson's 5 ms and /a under "Select a backend", trial 10).
    const HealthConfig h = valid ? m_lab->config().healthFor(m_lab->backendConfig(m_id)) : m_lab->config().health;
    m_probe->setChecked(h.enabled);
    m_probeType->setCurrentText(h.type);
    m_probePath->setText(h.path);
    m_probePath->setEnabled(h.type == QLatin1String("http"));
    m_interval->setValue(h.intervalMs);
    m_timeout->setValue(h.timeoutMs);
    m_rise->setValue(h.rise);
    m_fall->setValue(h.fall);
    if (!valid) {
        m_title->setText(tr("<b>Select a backend</b> on the board to drain it or inject faults."));
    } else {
        const BackendConfig& c = m_lab->backendConfig(m_id);
        m_title->setText(
            fake ? tr("<b>%1</b> (embedded, %2:%3): faults apply to the next request.").arg(c.name, c.host).arg(c.port)
                 : tr("<b>%1</b> (external, %2:%3): fault knobs exist only for embedded backends.")
                       .arg(c.name, c.host)
                       .arg(c.port));
    }
    const FaultProfile f = fake ? fake->faults() : FaultProfile{};
    m_latency->setValue(f.latencyMs);
    m_jitter->setValue(f.jitterMs);
    m_errorRate->setValue(f.errorRatePercent);
    m_healthFails->setChecked(f.healthFails);
    m_onlyPaths->setText(f.onlyPaths.join(QStringLiteral(", ")));
    m_capacity->setValue(f.capacity);
    m_workers->setValue(f.workers);
    m_queue->setValue(f.queue);
    m_serviceMs->setValue(f.serviceMs);
    m_serviceDist->setCurrentText(f.serviceDist);
    m_hang->setChecked(f.hang);
    m_refuse->setChecked(f.refuse);
    m_loading = false;
}

void BackendPanel::applyHealth()
{
    if (m_loading || !m_lab->hasBackend(m_id))
        return;
    HealthConfig h = m_lab->config().healthFor(m_lab->backendConfig(m_id));
    h.enabled = m_probe->isChecked();
    h.type = m_probeType->currentText();
    QString path = m_probePath->text().trimmed();
    h.path = path.startsWith(QLatin1Char('/')) ? path : QLatin1Char('/') + path;
    h.intervalMs = m_interval->value();
    h.timeoutMs = m_timeout->value();
    h.rise = m_rise->value();
    h.fall = m_fall->value();
    m_probePath->setEnabled(h.type == QLatin1String("http"));
    m_lab->setBackendHealth(m_id, h);
}

void BackendPanel::apply()
{
    if (m_loading || !m_lab->embeddedBackend(m_id))
        return;
    FaultProfile f;
    f.latencyMs = m_latency->value();
    f.jitterMs = m_jitter->value();
    f.errorRatePercent = m_errorRate->value();
    f.healthFails = m_healthFails->isChecked();
    for (const QString& p : m_onlyPaths->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString path = p.trimmed();
        if (!path.isEmpty())
            f.onlyPaths << (path.startsWith(QLatin1Char('/')) ? path : QLatin1Char('/') + path);
    }
    f.capacity = m_capacity->value();
    f.workers = m_workers->value();
    f.queue = m_queue->value();
    f.serviceMs = m_serviceMs->value();
    f.serviceDist = m_serviceDist->currentText();
    f.hang = m_hang->isChecked();
    f.refuse = m_refuse->isChecked();
    m_lab->setFaults(m_id, f);
}

} // namespace lab
