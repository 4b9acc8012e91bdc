#pragma once

#include "SavePathPrompt.h"
#include "config/LabConfig.h"
#include "export/ConfigExport.h"

#include <QDialog>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;

namespace lab {

class ProveRunner;

// File > Export to HAProxy / nginx… and File > Prove against HAProxy / nginx…: the lab's config in the
// target's syntax (preview, the warnings of what it cannot express, Save…), and the prove comparison
// (ProveRunner: the same workload through the lab's proxy and the real target, shares side by side). The
// dialog holds a copy of the lab's config taken when it opened; prove runs its own lab on free ports, so
// the window's lab keeps running undisturbed.
class ProductionDialog final : public QDialog {
    Q_OBJECT
public:
    enum class Page { Export, Prove };
    ProductionDialog(LabConfig config, Page page, QWidget* parent = nullptr);
    ~ProductionDialog() override;
    Q_DISABLE_COPY_MOVE(ProductionDialog)

    void setSavePathPrompt(SavePathPrompt prompt) { m_prompt = std::move(prompt); }
    ExportFormat format() const;
    void setFormat(ExportFormat format);
    // The path prove's requests ask for (the Path field; the window fills in what its traffic asks for)
    // and where it came from, said beside the field ("the lesson's traffic").
    void setProvePath(const QString& path, const QString& origin = {});
    QLineEdit* provePathEdit() const { return m_provePath; }
    // Starts a prove run with the selected target (the Prove button).
    void startProve();
    bool proveRunning() const { return m_runner != nullptr; }

    QPlainTextEdit* preview() const { return m_preview; }
    QListWidget* warnings() const { return m_warnings; }
    QPlainTextEdit* comparison() const { return m_comparison; }

Q_SIGNALS:
    void proveFinished();
    void message(const QString& text);

private:
    void refresh();
    void save();
    void onProveFinished();

    LabConfig m_config;
    SavePathPrompt m_prompt;
    QComboBox* m_format;
    QTabWidget* m_tabs;
    QPlainTextEdit* m_preview;
    QListWidget* m_warnings;
    QPushButton* m_save;
    QPlainTextEdit* m_comparison;
    QLineEdit* m_provePath;
    QLabel* m_provePathOrigin;
    QLabel* m_proveStatus;
    QPushButton* m_proveButton;
    std::unique_ptr<ProveRunner> m_runner;
    ExportFormat m_comparedFormat = ExportFormat::Haproxy; // the target of the table shown
};

} // namespace lab
