#pragma once

#include "loadgen/ConsoleClient.h"

#include <QWidget>

class QAction;
class QCheckBox;
class QToolButton;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace lab {

class Lab;
class LoadGenerator;

// What the console, the traffic generator and the proxy bar say in a lab with TCP listeners only.
QString noHttpListenerText();

// The selected backend's knobs: draining for any backend, and the fault knobs of an embedded one,
// applied live as they are edited.
class BackendPanel final : public QWidget {
    Q_OBJECT
public:
    explicit BackendPanel(Lab* lab, QWidget* parent = nullptr);
    void setRow(int row);
    int row() const { return m_row; }
    // Re-reads the values from the lab (after a change made elsewhere).
    void reload();

private:
    void apply();
    void applyHealth();

    Lab* m_lab;
    int m_row = -1;
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

// Listener, start/stop, algorithm, retries and timeouts of the proxy.
class ProxyPanel final : public QWidget {
    Q_OBJECT
public:
    explicit ProxyPanel(Lab* lab, QWidget* parent = nullptr);
    void reload();
    QComboBox* algorithmBox() const { return m_algorithm; }

Q_SIGNALS:
    void message(const QString& text);

private:
    void applyOptions();
    void toggleProxy();

    Lab* m_lab;
    QLineEdit* m_address;
    QSpinBox* m_port;
    QPushButton* m_startStop;
    QComboBox* m_algorithm;
    QLineEdit* m_hashKey;
    QCheckBox* m_sticky;
    QSpinBox* m_retries;
    QList<QAction*> m_retryOn; // checkable, in the retry button's menu
    QToolButton* m_retryButton;
    void updateRetryButton();
    QSpinBox* m_connectTimeout;
    QSpinBox* m_responseTimeout;
    QPushButton* m_apply;
};

// The built-in traffic generator, aimed at the proxy.
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

private:
    void toggle();

    Lab* m_lab;
    LoadGenerator* m_generator;
    QSpinBox* m_connections;
    QSpinBox* m_rate;
    QSpinBox* m_duration;
    QSpinBox* m_maxRequests;
    QComboBox* m_method;
    QLineEdit* m_path;
    QPushButton* m_start;
    QProgressBar* m_progress;
    QLabel* m_totals;
    bool m_wasRunning = false;
};

// Send one request through the proxy and see everything about its answer.
class ConsolePanel final : public QWidget {
    Q_OBJECT
public:
    ConsolePanel(Lab* lab, QWidget* parent = nullptr);
    QPushButton* sendButton() const { return m_send; }
    QLineEdit* pathEdit() const { return m_path; }
    QComboBox* methodBox() const { return m_method; }
    QPlainTextEdit* bodyEdit() const { return m_body; }
    QLabel* resultLabel() const { return m_result; }
    QLabel* attemptsLabel() const { return m_attempts; }
    QPlainTextEdit* responseView() const { return m_response; }

Q_SIGNALS:
    void answered();

private:
    // Enables Send only when the lab has an HTTP listener, and says so when it has none.
    void updateTarget();
    void send();
    void show(const ConsoleResponse& r);
    void lookUpTrace(const QString& token, int triesLeft);

    Lab* m_lab;
    ConsoleClient* m_client;
    QComboBox* m_method;
    QLineEdit* m_path;
    QPlainTextEdit* m_headers;
    QPlainTextEdit* m_body;
    QPushButton* m_send;
    QLabel* m_result;
    QLabel* m_attempts;
    QPlainTextEdit* m_response;
    bool m_busy = false; // a request is on its way
};

} // namespace lab
