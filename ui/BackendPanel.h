#pragma once

#include "lab/BackendId.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace lab {

class Lab;

// The selected backend's knobs: draining for any backend, and the fault knobs of an embedded one,
// applied live as they are edited. It follows one backend by id (the board's selection), so the
// backend keeps its panel when rows above it are removed.
class BackendPanel final : public QWidget {
    Q_OBJECT
public:
    explicit BackendPanel(Lab* lab, QWidget* parent = nullptr);
    // An invalid id (or one no longer in the lab) shows "select a backend".
    void setBackend(BackendId id);
    BackendId backend() const { return m_id; }
    // Re-reads the values from the lab (after a change made elsewhere).
    void reload();

private:
    void apply();
    void applyHealth();

    Lab* m_lab;
    BackendId m_id;
    bool m_loading = false;
    QLabel* m_title;
    QCheckBox* m_drain;
    QWidget* m_faultBox;
    QSpinBox* m_latency;
    QSpinBox* m_jitter;
    QDoubleSpinBox* m_errorRate;
    QCheckBox* m_healthFails;
    QLineEdit* m_onlyPaths;
    QSpinBox* m_capacity;
    QSpinBox* m_workers;
    QSpinBox* m_queue;
    QSpinBox* m_serviceMs;
    QComboBox* m_serviceDist;
    QCheckBox* m_hang;
    QCheckBox* m_refuse;
    QWidget* m_healthBox;
    QCheckBox* m_probe;
    QComboBox* m_probeType;
    QLineEdit* m_probePath;
    QSpinBox* m_interval;
    QSpinBox* m_timeout;
    QSpinBox* m_rise;
    QSpinBox* m_fall;
};

} // namespace lab
