#pragma once

#include <QMainWindow>

class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace lab {

class BackendTableModel;
class Lab;

// The lab's window. It owns no data-path socket: it steers the Lab and shows snapshots of it.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(Lab* lab, QWidget* parent = nullptr);
    Q_DISABLE_COPY_MOVE(MainWindow)

    BackendTableModel* backendModel() const { return m_model; }
    // The Start/Stop button of a backend row (nullptr for external backends).
    QPushButton* startStopButton(int row) const;
    void refresh();

private:
    void appendEvent(const QString& text);
    void updateButton(int row);
    void toggleBackend(int row);

    Lab* m_lab;
    BackendTableModel* m_model;
    QTableView* m_table;
    QPlainTextEdit* m_events;
    QTimer* m_refreshTimer;
    QList<QPushButton*> m_buttons;
};

} // namespace lab
