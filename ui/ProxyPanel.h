#pragma once

#include "config/LabConfig.h"

#include <QList>
#include <QWidget>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QToolButton;

namespace lab {

class Lab;
class PassiveHealthButton;

// Listener, start/stop, algorithm, retries and timeouts of the proxy, in groups that wrap onto a second
// line in a narrow window, with the selected algorithm's one-line summary beneath. The algorithm, hash
// key and sticky apply on edit; the listener, retries, rate limit, timeouts and passive health (outlier ejection,
// circuit breaker) wait for Apply, which is enabled (and marked) only while one of them differs from what runs.
class ProxyPanel final : public QWidget {
    Q_OBJECT
public:
    explicit ProxyPanel(Lab* lab, QWidget* parent = nullptr);
    void reload();
    QComboBox* algorithmBox() const { return m_algorithm; }
    QPushButton* applyButton() const { return m_apply; }
    QPushButton* httpsButton() const { return m_https; }
    // True while a field waiting for Apply differs from the running config.
    bool hasPendingChanges() const;
    // A notice (the window's pause banner) that takes the algorithm summary's line while shown: the line's
    // height is the taller of the two at all times, so showing it moves nothing below the bar.
    void setNotice(QWidget* notice);
    void showNotice(bool shown);

Q_SIGNALS:
    void message(const QString& text);
    // The HTTPS button was clicked: the window adds an HTTPS listener (MainWindow::serveHttps).
    void httpsRequested();

protected:
    void changeEvent(QEvent* event) override;

private:
    void applyOptions();
    void toggleProxy();
    void updatePending();
    void updateSummary();
    void fitFields();

    Lab* m_lab;
    QLineEdit* m_address;
    QSpinBox* m_port;
    QPushButton* m_startStop;
    QPushButton* m_https; // "HTTPS…", or "HTTPS :PORT" once a listener terminates TLS
    QComboBox* m_algorithm;
    QLineEdit* m_hashKey;
    QCheckBox* m_sticky;
    QSpinBox* m_retries;
    QList<QAction*> m_retryOn; // checkable, in the retry button's menu
    QList<QAction*> m_retryAvoid; // exclusive, in the same menu: the retry.avoid rule
    QToolButton* m_retryButton;
    void updateRetryButton();
    QSpinBox* m_rateRps; // 0 = off
    QSpinBox* m_rateBurst; // 0 = one second's worth
    QLineEdit* m_rateKey;
    RateLimitConfig shownRateLimit() const;
    QString shownRetryAvoid() const; // the checked rule, else the running one
    PassiveHealthButton* m_passive;
    QSpinBox* m_connectTimeout;
    QSpinBox* m_responseTimeout;
    QPushButton* m_apply;
    QLabel* m_summary;
    QStackedWidget* m_summaryLine; // the summary, or the notice in its place
};

} // namespace lab
