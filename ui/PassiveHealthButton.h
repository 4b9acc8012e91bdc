#pragma once

#include "config/LabConfig.h"

#include <QToolButton>

class QCheckBox;
class QSpinBox;

namespace lab {

// The proxy bar's outlier ejection and circuit breaker knobs (the config's "outlierDetection" and
// "circuitBreaker"), which were config-only: a button that says the two in a few words and opens a form of
// every key, each field's tooltip naming its config key. Like the retries it only edits: the bar's Apply
// sends the values to the pool, whose next pick uses them. Ranges and defaults are the schema's.
class PassiveHealthButton final : public QToolButton {
    Q_OBJECT
public:
    explicit PassiveHealthButton(QWidget* parent = nullptr);

    // What the fields show (typed digits included), and the running values to show.
    OutlierConfig outlier() const;
    BreakerConfig breaker() const;
    void setValues(const OutlierConfig& outlier, const BreakerConfig& breaker);
    // The form inside the button's menu (tests reach the fields through it by their config key).
    QWidget* form() const { return m_form; }

Q_SIGNALS:
    void edited(); // a field changed (on each digit typed too)

private:
    void updateText();

    QWidget* m_form;
    QCheckBox* m_eject;
    QSpinBox* m_consecutiveFailures;
    QSpinBox* m_baseEjectionMs;
    QSpinBox* m_maxEjectionMs;
    QSpinBox* m_maxEjectionPercent;
    QCheckBox* m_breaker;
    QSpinBox* m_windowMs;
    QSpinBox* m_minRequests;
    QSpinBox* m_failurePercent;
    QSpinBox* m_openMs;
    QSpinBox* m_halfOpenRequests;
};

} // namespace lab
