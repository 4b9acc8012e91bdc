#include "ExperimentRunner.h"

#include "WorkloadDriver.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QLoggingCategory>
#include <QTimer>

Q_LOGGING_CATEGORY(lcExperiment, "lab.experiment")

namespace lab {

ExperimentRunner::ExperimentRunner(Experiment experiment, QObject* parent)
    : QObject(parent)
    , m_experiment(std::move(experiment))
    , m_plan(planWorkload(m_experiment.workload))
    , m_driver(new WorkloadDriver(this))
    , m_sampler(new QTimer(this))
    , m_progress(new QTimer(this))
{
    m_sampler->setInterval(kQueueSampleMs);
    connect(m_sampler, &QTimer::timeout, this, &ExperimentRunner::sampleQueues);
    m_progress->setInterval(500);
    connect(m_progress, &QTimer::timeout, this,
            [this] { Q_EMIT progress(m_arm, m_driver->finished(), m_driver->total()); });
    // Queued: both come from the driver's thread, and the lab they touch lives here.
    connect(m_driver, &WorkloadDriver::started, this, &ExperimentRunner::onDriverStarted, Qt::QueuedConnection);
    connect(m_driver, &WorkloadDriver::done, this, &ExperimentRunner::onDriverDone, Qt::QueuedConnection);
}

ExperimentRunner::~ExperimentRunner()
{
    m_driver->stop();
    if (m_lab) {
        m_lab->stopProxiesAndWait(1000);
        m_lab->stopAll();
    }
}

bool ExperimentRunner::start()
{
    if (m_running)
        return false;
    m_running = true;
    m_stopping = false;
    m_results.clear();
    m_error.clear();
    m_arm = -1;
    QTimer::singleShot(0, this, [this] {
        m_arm = 0;
        startArm();
    });
    return true;
}

void ExperimentRunner::stop()
{
    if (!m_running)
        return;
    m_stopping = true;
    if (m_driver->isRunning())
        m_driver->stop(); // done() follows, queued: the arm ends there
    else if (!m_lab)
        finish();
}

void ExperimentRunner::startArm()
{
    if (m_stopping || m_arm >= m_experiment.arms.size()) {
        finish();
        return;
    }
    const ExperimentArm& arm = m_experiment.arms[m_arm];
    m_lab = std::make_unique<Lab>(arm.lab);
    m_lab->setEmbeddedPortBase(0);
    QString why;
    if (!m_lab->start(&why)) {
        m_error = tr("arm %1: the lab cannot start: %2").arg(arm.name, why);
        m_lab.reset();
        finish();
        return;
    }
    m_maxQueue.clear();
    m_addedNames.clear();
    m_armContext = new QObject(this);
    qCInfo(lcExperiment, "arm %s: %s on port %u", qPrintable(arm.name), qPrintable(arm.lab.algorithm),
           m_lab->httpProxy()->port());
    Q_EMIT armStarted(m_arm);
    WorkloadDriver::Options o;
    o.port = m_lab->httpProxy()->port();
    o.users = m_experiment.workload.users;
    o.method = m_experiment.workload.method;
    o.requestTimeoutMs = m_experiment.workload.requestTimeoutMs;
    // Keys moved are counted from the backends' echo of what they received (measureKeysMoved).
    o.echo = m_options.echo || keyMovingEvent() != nullptr;
    m_driver->start(m_plan, o);
    m_sampler->start();
    m_progress->start();
}

void ExperimentRunner::onDriverStarted()
{
    // The timeline's moments count from the driver's clock; this runs a moment after it started, which
    // every arm pays alike.
    for (const TimelineEvent& ev : std::as_const(m_experiment.timeline))
        QTimer::singleShot(ev.atMs, m_armContext, [this, ev] { applyEvent(ev); });
}

void ExperimentRunner::applyEvent(const TimelineEvent& event)
{
    if (!m_lab)
        return;
    QString why;
    if (event.action == TimelineEvent::Action::Add) {
        // The timeline's name, so the new backend is one backend across arms (its name is also what the
        // hashing algorithms hash: the same name, the same place on the ring in every arm).
        const BackendId id = m_lab->addEmbeddedBackend(&why, event.backend);
        if (!id.isValid()) {
            qCWarning(lcExperiment, "timeline: cannot add %s: %s", qPrintable(event.backend), qPrintable(why));
            return;
        }
        m_lab->setFaults(id, event.faults);
        m_addedNames.insert(event.backend, m_lab->backendConfig(id).name);
        return;
    }
    const BackendId id = m_lab->idOf(m_addedNames.value(event.backend, event.backend));
    switch (event.action) {
    case TimelineEvent::Action::Stop: m_lab->stopBackend(id); break;
    case TimelineEvent::Action::Start:
        if (!m_lab->startBackend(id, &why))
            qCWarning(lcExperiment, "timeline: cannot start %s: %s", qPrintable(event.backend), qPrintable(why));
        break;
    case TimelineEvent::Action::Faults: m_lab->setFaults(id, event.faults); break;
    case TimelineEvent::Action::Add: break;
    }
}

void ExperimentRunner::sampleQueues()
{
    if (!m_lab)
        return;
    for (BackendId id : m_lab->backendIds()) {
        if (const FakeBackend* fake = m_lab->embeddedBackend(id)) {
            int& max = m_maxQueue[fake->name()];
            max = qMax(max, fake->counters().queued.load(std::memory_order_relaxed));
        }
    }
}

void ExperimentRunner::onDriverDone()
{
    if (!m_lab)
        return;
    m_sampler->stop();
    m_progress->stop();
    sampleQueues();
    delete std::exchange(m_armContext, nullptr);
    const ExperimentArm& spec = m_experiment.arms[m_arm];
    ArmResult arm;
    arm.name = spec.name;
    arm.algorithm = spec.lab.algorithm;
    arm.elapsedMs = m_driver->elapsedMs();
    arm.retries = m_lab->snapshot().listener.retries;
    QStringList order;
    for (BackendId id : m_lab->backendIds()) {
        BackendResult b;
        b.name = m_lab->backendConfig(id).name;
        b.workers = m_lab->backendConfig(id).faults.workers;
        b.maxQueue = m_maxQueue.value(b.name);
        if (const FakeBackend* fake = m_lab->embeddedBackend(id)) {
            b.attempts = fake->counters().serviced.load() + fake->counters().queueFull.load();
            b.workers = fake->faults().workers; // a timeline's faults event may have changed it
            if (b.workers > 0 && arm.elapsedMs > 0)
                b.busy = double(fake->counters().serviceMicros.load()) / 1000.0 / (b.workers * arm.elapsedMs);
        }
        order << b.name;
        arm.backends << b;
    }
    summariseOutcomes(m_driver->outcomes(), m_driver->backendNames(), order, &arm);
    QMap<QString, int> workers;
    for (const BackendResult& b : std::as_const(arm.backends))
        workers.insert(b.name, b.workers);
    replayIdealQueues(m_plan, m_driver->outcomes(), m_driver->backendNames(), workers, &arm);
    arm.theory = predictArm(m_experiment, arm, &arm.theoryNote);
    if (const TimelineEvent* ev = keyMovingEvent()) {
        measureKeysMoved(m_experiment, spec.lab.hashKey, ev->atMs, m_plan, m_driver->outcomes(), &arm);
        arm.keysMovedIdeal = idealKeysMoved(ev->action, backendsBefore(*ev));
    }
    if (m_options.keepOutcomes) {
        arm.outcomes = m_driver->outcomes();
        arm.outcomeBackends = m_driver->backendNames();
    }
    m_results << arm;
    m_lab->stopProxiesAndWait(2000);
    m_lab->stopAll();
    m_lab.reset();
    Q_EMIT armFinished(m_arm);
    ++m_arm;
    QTimer::singleShot(0, this, &ExperimentRunner::startArm);
}

const TimelineEvent* ExperimentRunner::keyMovingEvent() const
{
    for (const TimelineEvent& ev : m_experiment.timeline) {
        if (ev.action == TimelineEvent::Action::Add || ev.action == TimelineEvent::Action::Stop)
            return &ev;
    }
    return nullptr;
}

int ExperimentRunner::backendsBefore(const TimelineEvent& event) const
{
    int n = int(m_experiment.lab.backends.size());
    for (const TimelineEvent& ev : m_experiment.timeline) {
        if (&ev == &event)
            break;
        n += ev.action == TimelineEvent::Action::Add    ? 1
            : ev.action == TimelineEvent::Action::Stop  ? -1
            : ev.action == TimelineEvent::Action::Start ? 1
                                                        : 0;
    }
    return n;
}

void ExperimentRunner::finish()
{
    if (!m_running)
        return;
    m_sampler->stop();
    m_progress->stop();
    delete std::exchange(m_armContext, nullptr);
    m_running = false;
    Q_EMIT finished();
}

} // namespace lab
