#include "PassiveHealthButton.h"

#include "PanelFields.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSignalBlocker>
#include <QWidgetAction>

namespace lab {

namespace {
// A field for one key of a section, named and explained after its config key ("circuitBreaker.openMs").
template <typename Section>
QSpinBox* keyField(const char* section, int Section::*member, const QString& suffix, const QString& what)
{
    const schema::Key<Section>& key = schema::keyOf(member);
    const QString name = QStringLiteral("%1.%2").arg(QLatin1String(section), QLatin1String(key.name));
    QSpinBox* s = makeSpinBox(
        member, suffix,
        QStringLiteral("%1\nConfig key: %2 (%3 to %4).").arg(what, name).arg(key.range.min).arg(key.range.max));
    s->setObjectName(name);
    return s;
}

int shown(const QSpinBox* s)
{
    bool ok = false;
    const int v = s->cleanText().toInt(&ok);
    return ok ? qBound(s->minimum(), v, s->maximum()) : s->value();
}
} // namespace

PassiveHealthButton::PassiveHealthButton(QWidget* parent)
    : QToolButton(parent)
    , m_form(new QWidget)
    , m_eject(makeCheckBox(tr("Eject a backend after failures in a row"),
                           tr("Outlier ejection: consecutive refused, reset, timed-out or 5xx attempts take a "
                              "backend out of the pool for a while.\nConfig key: outlierDetection.enabled.")))
    , m_consecutiveFailures(keyField("outlierDetection", &OutlierConfig::consecutiveFailures, tr(" failures"),
                                     tr("Failures in a row that eject a backend.")))
    , m_baseEjectionMs(keyField("outlierDetection", &OutlierConfig::baseEjectionMs, tr(" ms"),
                                tr("How long the first ejection lasts; each next one lasts this times the number "
                                   "of ejections so far.")))
    , m_maxEjectionMs(
          keyField("outlierDetection", &OutlierConfig::maxEjectionMs, tr(" ms"), tr("The longest an ejection lasts.")))
    , m_maxEjectionPercent(keyField("outlierDetection", &OutlierConfig::maxEjectionPercent, tr(" %"),
                                    tr("Never eject more than this share of the pool at once.")))
    , m_breaker(makeCheckBox(tr("Circuit breaker"),
                             tr("Per backend: a high failure ratio over the window opens the circuit (no requests), "
                                "half-open after a while lets a few trials through.\nConfig key: "
                                "circuitBreaker.enabled.")))
    , m_windowMs(keyField("circuitBreaker", &BreakerConfig::windowMs, tr(" ms"),
                          tr("The window over which the failure ratio is measured.")))
    , m_minRequests(keyField("circuitBreaker", &BreakerConfig::minRequests, tr(" requests"),
                             tr("Requests the window needs before the ratio may open the circuit.")))
    , m_failurePercent(keyField("circuitBreaker", &BreakerConfig::failurePercent, tr(" %"),
                                tr("The failure ratio over the window that opens the circuit.")))
    , m_openMs(keyField("circuitBreaker", &BreakerConfig::openMs, tr(" ms"),
                        tr("How long the circuit stays open before it lets trials through (half-open).")))
    , m_halfOpenRequests(keyField("circuitBreaker", &BreakerConfig::halfOpenRequests, tr(" successes"),
                                  tr("Successful trials that close the circuit again (one failure opens it).")))
{
    setObjectName(QStringLiteral("passiveHealth"));
    setPopupMode(QToolButton::InstantPopup);
    m_eject->setObjectName(QStringLiteral("outlierDetection.enabled"));
    m_breaker->setObjectName(QStringLiteral("circuitBreaker.enabled"));
    auto* form = new QFormLayout(m_form);
    form->setContentsMargins(8, 6, 8, 6);
    // A row's label explains what its field does as the field does (trial 7 hovered "at most" and
    // "half-open trials" in vain), and each group says in a line how it differs from the other.
    const auto row = [form](const QString& label, QSpinBox* field) {
        auto* l = new QLabel(label);
        l->setToolTip(field->toolTip());
        l->setBuddy(field);
        form->addRow(l, field);
    };
    const auto heading = [form](const QString& title, const QString& what) {
        auto* l = new QLabel(QStringLiteral("%1<br><small>%2</small>").arg(title, what));
        l->setWordWrap(true);
        form->addRow(l);
    };
    heading(tr("<b>Outlier ejection</b> (outlierDetection)"),
            tr("Per backend, on failures in a row: it leaves the pool for a set time, then is back."));
    form->addRow(m_eject);
    row(tr("after"), m_consecutiveFailures);
    row(tr("for"), m_baseEjectionMs);
    row(tr("at most"), m_maxEjectionMs);
    row(tr("of the pool at most"), m_maxEjectionPercent);
    heading(tr("<b>Circuit breaker</b> (circuitBreaker)"),
            tr("Per backend, on the error rate over a window: closed, open (no requests), half-open (a few trials)."));
    form->addRow(m_breaker);
    row(tr("window"), m_windowMs);
    row(tr("at least"), m_minRequests);
    row(tr("opens at"), m_failurePercent);
    row(tr("open for"), m_openMs);
    row(tr("half-open trials"), m_halfOpenRequests);
    form->addRow(new QLabel(tr("Apply on the bar sends them; the next pick uses them.")));
    auto* menu = new QMenu(this);
    auto* action = new QWidgetAction(menu);
    action->setDefaultWidget(m_form);
    menu->addAction(action);
    setMenu(menu);

    for (QCheckBox* c : {m_eject, m_breaker})
        connect(c, &QCheckBox::toggled, this, [this] {
            updateText();
            Q_EMIT edited();
        });
    for (QSpinBox* s : {m_consecutiveFailures, m_baseEjectionMs, m_maxEjectionMs, m_maxEjectionPercent, m_windowMs,
                        m_minRequests, m_failurePercent, m_openMs, m_halfOpenRequests}) {
        connect(s, &QSpinBox::valueChanged, this, [this] {
            updateText();
            Q_EMIT edited();
        });
        connect(s->findChild<QLineEdit*>(), &QLineEdit::textEdited, this, &PassiveHealthButton::edited);
    }
    setToolTip(tr("Passive health on real traffic: outlier ejection (config key outlierDetection) and the circuit "
                  "breaker (circuitBreaker). Click to edit; Apply sends them."));
    setValues({}, {});
}

OutlierConfig PassiveHealthButton::outlier() const
{
    OutlierConfig o;
    o.enabled = m_eject->isChecked();
    o.consecutiveFailures = shown(m_consecutiveFailures);
    o.baseEjectionMs = shown(m_baseEjectionMs);
    o.maxEjectionMs = shown(m_maxEjectionMs);
    o.maxEjectionPercent = shown(m_maxEjectionPercent);
    return o;
}

BreakerConfig PassiveHealthButton::breaker() const
{
    BreakerConfig b;
    b.enabled = m_breaker->isChecked();
    b.windowMs = shown(m_windowMs);
    b.minRequests = shown(m_minRequests);
    b.failurePercent = shown(m_failurePercent);
    b.openMs = shown(m_openMs);
    b.halfOpenRequests = shown(m_halfOpenRequests);
    return b;
}

void PassiveHealthButton::setValues(const OutlierConfig& outlier, const BreakerConfig& breaker)
{
    {
        const QSignalBlocker block(this); // what runs is no edit
        m_eject->setChecked(outlier.enabled);
        m_consecutiveFailures->setValue(outlier.consecutiveFailures);
        m_baseEjectionMs->setValue(outlier.baseEjectionMs);
        m_maxEjectionMs->setValue(outlier.maxEjectionMs);
        m_maxEjectionPercent->setValue(outlier.maxEjectionPercent);
        m_breaker->setChecked(breaker.enabled);
        m_windowMs->setValue(breaker.windowMs);
        m_minRequests->setValue(breaker.minRequests);
        m_failurePercent->setValue(breaker.failurePercent);
        m_openMs->setValue(breaker.openMs);
        m_halfOpenRequests->setValue(breaker.halfOpenRequests);
    }
    updateText();
}

void PassiveHealthButton::updateText()
{
    const QString eject =
        m_eject->isChecked() ? tr("eject after %1").arg(m_consecutiveFailures->value()) : tr("no ejection");
    const QString breaker =
        m_breaker->isChecked() ? tr("breaker at %1%").arg(m_failurePercent->value()) : tr("no breaker");
    setText(QStringLiteral("%1 · %2").arg(eject, breaker));
    // The menu arrow is drawn over the end of the text unless the button is a little wider than its hint.
    setMinimumWidth(0);
    setMinimumWidth(sizeHint().width() + fontMetrics().height() + fontMetrics().averageCharWidth());
}

} // namespace lab
