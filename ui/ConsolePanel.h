#pragma once

#include "loadgen/ConsoleClient.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace lab {

class Lab;

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
