#include "TimeControls.h"

#include "FlowLayout.h"
#include "PanelFields.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "proxy/Proxy.h"
#include "proxy/StepGate.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>

namespace lab {

TimeControls::TimeControls(Lab* lab, LoadGenerator* generator, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_generator(generator)
    , m_pause(new QPushButton(tr("&Pause")))
    , m_slow(new QCheckBox(tr("S&low motion")))
    , m_rate(makeSpinBox(1, 5, 2, tr(" req/s"), tr("How many requests a second the lab sends in slow motion.")))
    , m_status(new QLabel)
    , m_stepScope(new QComboBox)
    , m_step(new QPushButton(tr("S&tep")))
{
    m_stepScope->setObjectName(QStringLiteral("flowStepScope"));
    m_stepScope->addItem(tr("Step mode off"), int(StepScope::Off));
    m_stepScope->addItem(tr("Step: lab traffic"), int(StepScope::LabTraffic));
    m_stepScope->addItem(tr("Step: all clients"), int(StepScope::AllClients));
    m_stepScope->setToolTip(tr("Hold each new request before the balancer picks a backend, until you press Step: "
                               "the lab's own traffic (generator, console) or every client. At most %1 wait; one "
                               "held for %2 s is answered 503. Off lets every held request go.")
                                .arg(StepGate::kMaxHeld)
                                .arg(StepGate::kDefaultHoldTimeoutMs / 1000));
    m_step->setObjectName(QStringLiteral("flowStep"));
    m_step->setToolTip(tr("Let the oldest held request go on to its pick."));
    m_step->setEnabled(false);
    m_pause->setObjectName(QStringLiteral("flowPause"));
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Freeze the flow view, the charts and the trace list; the proxy keeps working and the "
                           "board stays live. Resume jumps to the present."));
    m_slow->setObjectName(QStringLiteral("flowSlowMotion"));
    m_slow->setToolTip(tr("The lab's traffic generator sends a few GET / requests a second (stopping a Traffic tab "
                          "run) and the dots move slowly, so each request can be followed."));
    m_rate->setObjectName(QStringLiteral("flowSlowRate"));
    // A bare "2 req/s" beside the Pause button read as the lab's traffic rate (trial 3): it says whose it is.
    m_rate->setPrefix(tr("slow motion: "));
    m_status->setObjectName(QStringLiteral("flowTimeStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // Wraps onto a second line rather than making the window wider than a small (or zoomed) screen.
    auto* layout = new FlowLayout(this, 10, 2);
    layout->setContentsMargins(0, 0, 0, 0);
    for (QWidget* w : std::initializer_list<QWidget*>{m_pause, m_slow, m_rate, m_stepScope, m_step, m_status})
        layout->addWidget(w);

    connect(m_pause, &QPushButton::toggled, this, [this](bool paused) {
        m_pause->setText(paused ? tr("&Resume") : tr("&Pause"));
        showStatus(QString()); // the window's one pause banner says it
        Q_EMIT pausedChanged(paused);
    });
    connect(m_slow, &QCheckBox::toggled, this, [this](bool on) { setSlowMotion(on); });
    connect(m_rate, &QSpinBox::valueChanged, this, [this] {
        QString error;
        if (m_slowOn && !startSlowRun(&error)) {
            setSlowMotion(false);
            showStatus(error);
        }
    });
    connect(m_generator, &LoadGenerator::finished, this, &TimeControls::generatorFinished);
    connect(m_stepScope, &QComboBox::activated, this, [this] {
        const auto scope = StepScope(m_stepScope->currentData().toInt());
        m_lab->setStepScope(scope);
        m_lab->logEvent(LabEvent::Kind::Traffic,
                        scope == StepScope::Off
                            ? tr("step mode off: held requests go on")
                            : tr("step mode on: %1")
                                  .arg(scope == StepScope::LabTraffic ? tr("the lab's traffic") : tr("all clients")));
        refresh();
    });
    connect(m_step, &QPushButton::clicked, this, [this] {
        m_lab->stepOnce();
        refresh();
    });
}

void TimeControls::refresh()
{
    // The lab is the truth (File > Open starts its proxies with step mode off).
    const StepScope scope = m_lab->stepScope();
    const int index = m_stepScope->findData(int(scope));
    if (index != m_stepScope->currentIndex())
        m_stepScope->setCurrentIndex(index);
    const int held = scope == StepScope::Off ? 0 : int(m_lab->heldRequests().size());
    m_step->setEnabled(held > 0);
    if (held == m_held)
        return;
    m_held = held;
    m_step->setText(held > 0 ? tr("S&tep (%1 held)").arg(held) : tr("S&tep"));
}

bool TimeControls::isPaused() const
{
    return m_pause->isChecked();
}

void TimeControls::setPaused(bool paused)
{
    m_pause->setChecked(paused);
}

bool TimeControls::isSlowMotion() const
{
    return m_slowOn;
}

QString TimeControls::statusText() const
{
    return m_status->text();
}

void TimeControls::showStatus(const QString& text)
{
    m_status->setText(text);
}

bool TimeControls::setSlowMotion(bool on)
{
    if (on == m_slowOn) {
        const QSignalBlocker block(m_slow);
        m_slow->setChecked(on);
        return true;
    }
    if (on) {
        QString error;
        if (!startSlowRun(&error)) {
            const QSignalBlocker block(m_slow);
            m_slow->setChecked(false);
            showStatus(error);
            return false;
        }
    } else if (m_generator->isRunning()) {
        m_generator->stop();
        m_lab->logEvent(LabEvent::Kind::Traffic, tr("slow motion off: its traffic stopped"));
    }
    m_slowOn = on;
    {
        const QSignalBlocker block(m_slow);
        m_slow->setChecked(on);
    }
    if (!on)
        showStatus(QString());
    Q_EMIT slowMotionChanged(on);
    return true;
}

bool TimeControls::startSlowRun(QString* error)
{
    if (!m_lab->hasHttpListener()) {
        *error = noHttpListenerText();
        return false;
    }
    Proxy* p = m_lab->httpProxy();
    if (!p || !p->isListening()) {
        *error = tr("The proxy is not running: start it first.");
        return false;
    }
    if (m_generator->isRunning()) {
        m_generator->stop();
        if (!m_slowOn)
            m_lab->logEvent(LabEvent::Kind::Traffic, tr("traffic stopped: slow motion takes over the generator"));
    }
    LoadSpec spec;
    spec.address = p->settings().address;
    if (spec.address == QHostAddress::Any || spec.address == QHostAddress::AnyIPv4)
        spec.address = QHostAddress::LocalHost;
    spec.port = p->port();
    spec.concurrency = kSlowConnections;
    spec.ratePerSecond = m_rate->value();
    spec.durationMs = kSlowRunMs;
    spec.maxRequests = quint64(m_rate->value()) * quint64(kSlowRunMs / 1000);
    if (!m_generator->start(spec, error))
        return false;
    m_lab->logEvent(LabEvent::Kind::Traffic,
                    tr("slow motion: %1 req/s for up to %2 min").arg(spec.ratePerSecond).arg(kSlowRunMs / 60000));
    showStatus(tr("slow motion: the lab's generator sends %1 req/s").arg(spec.ratePerSecond));
    return true;
}

void TimeControls::generatorFinished()
{
    // A restart (new rate) also ends a run: only a generator that stays idle ends slow motion.
    if (!m_slowOn || m_generator->isRunning())
        return;
    m_slowOn = false;
    {
        const QSignalBlocker block(m_slow);
        m_slow->setChecked(false);
    }
    showStatus(tr("slow motion ended: its run was stopped or reached its limit"));
    Q_EMIT slowMotionChanged(false);
}

} // namespace lab
