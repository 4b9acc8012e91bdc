#pragma once

#include "config/LabConfig.h"
#include "loadgen/LoadGenerator.h"
#include "teach/ScenarioTraffic.h"

#include <QWidget>
#include <functional>

class QCheckBox;
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
//
// What is sent is said first, above the form, so it is read without scrolling: the traffic someone else
// sends through the proxy (a lesson: who started it, its profile and totals), then this panel's own run
// and the one line that explains a shortfall ("72 not sent: every connection was still waiting"). With
// simulated users the Connections field is off and says why (one connection per user). Spin boxes and
// lists take the mouse wheel only when focused: a wheel over the tab scrolls it, it does not edit it.
class TrafficPanel final : public QWidget {
    Q_OBJECT
public:
    // Traffic the panel did not start, going through the proxy now: who sends it and its runs.
    struct ForeignTraffic {
        QString who; // "the lesson \"2 The slow backend\""
        QList<ScenarioTraffic::RunView> runs;
    };

    TrafficPanel(Lab* lab, LoadGenerator* generator, QWidget* parent = nullptr);
    void refresh();
    // Where refresh() asks for the traffic others send (the window: the lesson playing).
    void setForeignTraffic(std::function<ForeignTraffic()> source) { m_foreignSource = std::move(source); }
    QLabel* foreignLabel() const { return m_foreign; }
    QLabel* statusLabel() const { return m_status; }
    QLabel* connectionsNote() const { return m_connectionsNote; }
    QCheckBox* cookiesBox() const { return m_cookies; }
    QCheckBox* userHeaderBox() const { return m_userHeader; }
    QCheckBox* ownAddressesBox() const { return m_ownAddresses; }
    // One line per run for the foreign traffic box (what, so far).
    static QString foreignText(const ForeignTraffic& f);
    QPushButton* startButton() const { return m_start; }
    QSpinBox* connectionsBox() const { return m_connections; }
    QSpinBox* rateBox() const { return m_rate; }
    QSpinBox* durationBox() const { return m_duration; }
    QSpinBox* maxRequestsBox() const { return m_maxRequests; }
    QSpinBox* usersBox() const { return m_users; }
    QLineEdit* pathEdit() const { return m_path; }
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

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void toggle();
    void reload();
    void keep();
    void updateUsersFields();

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
    QCheckBox* m_cookies;
    QCheckBox* m_userHeader;
    QCheckBox* m_ownAddresses;
    QLabel* m_connectionsNote;
    QPushButton* m_start;
    QProgressBar* m_progress;
    QLabel* m_foreign;
    QLabel* m_status; // the run's state and the reason for a shortfall, above the form
    QLabel* m_totals;
    std::function<ForeignTraffic()> m_foreignSource;
    bool m_wasRunning = false;
    bool m_lastRunForgotten = false; // the generator's totals are a replaced lab's run (see Lab::labReset)
    bool m_loading = false; // reload() sets the fields: not an edit to keep
};

} // namespace lab
