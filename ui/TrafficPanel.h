#pragma once

#include "config/LabConfig.h"
#include "loadgen/LoadGenerator.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace lab {

class Lab;
class LoadGenerator;
struct LoadTotals;

// The built-in traffic generator, aimed at the proxy. Its fields are the lab's TrafficConfig: each edit is
// kept by the lab (Lab::setTraffic), so a saved lab replays the same workload, and a lab opened shows its own.
class TrafficPanel final : public QWidget {
    Q_OBJECT
public:
    TrafficPanel(Lab* lab, LoadGenerator* generator, QWidget* parent = nullptr);
    void refresh();
    QPushButton* startButton() const { return m_start; }
    QSpinBox* connectionsBox() const { return m_connections; }
    QSpinBox* rateBox() const { return m_rate; }
    QSpinBox* durationBox() const { return m_duration; }
    QSpinBox* maxRequestsBox() const { return m_maxRequests; }
    QSpinBox* usersBox() const { return m_users; }
    QLineEdit* pathTemplateEdit() const { return m_pathTemplate; }
    QComboBox* arrivalBox() const { return m_arrival; }
    QSpinBox* thinkBox() const { return m_think; }
    QLabel* totalsLabel() const { return m_totals; }
    // The users × backends table of a run with simulated users (empty without): at most kUserRows rows.
    static constexpr int kUserRows = 12;
    static QString usersTable(const LoadTotals& t);
    // The lines that name what failed: connections refused, timed out or reset, requests cut at the end.
    static QString failureText(const LoadTotals& t);
    // The fields as a TrafficConfig (what the lab keeps).
    TrafficConfig shown() const;

Q_SIGNALS:
    // The operator started a run with this spec / stopped one before its end (the scenario recorder).
    void trafficStarted(const lab::LoadSpec& spec);
    void trafficStopped();

private:
    void toggle();
    void reload();
    void keep();

    Lab* m_lab;
    LoadGenerator* m_generator;
    QSpinBox* m_connections;
    QSpinBox* m_rate;
    QSpinBox* m_duration;
    QSpinBox* m_maxRequests;
    QComboBox* m_method;
    QLineEdit* m_path;
    QSpinBox* m_users;
    QLineEdit* m_pathTemplate;
    QComboBox* m_arrival;
    QSpinBox* m_burst;
    QSpinBox* m_think;
    QSpinBox* m_seed;
    QPushButton* m_start;
    QProgressBar* m_progress;
    QLabel* m_totals;
    bool m_wasRunning = false;
    bool m_loading = false; // reload() sets the fields: not an edit to keep
};

} // namespace lab
