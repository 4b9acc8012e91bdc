#pragma once

#include <QList>
#include <QWidget>

class QAction;
class QCheckBox;
class QComboBox;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace lab {

class Lab;

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

} // namespace lab
