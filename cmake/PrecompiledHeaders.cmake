# Precompiled headers: the Qt and standard headers most of our files include, parsed once per target
# instead of once per file. Qt's headers are most of what the compiler reads in every translation unit
# (QtNetwork and QtWidgets pull in QtCore and much of the standard library); with a PCH a file costs its own
# code. Measured (gcc 12, -O2 -g, four lbcore files): 23.4 s of CPU without, 17.2 s with (-26 %), for an
# 8 s PCH per target; the test files, which include QTest and QSignalSpy, gain more.
#
# The lists keep the layers: lbcore's PCH holds Qt Core and Network only (lbcore never sees a Widgets
# header, not even through the PCH); the ui list adds Widgets and Charts for lbui and what links it.
# A PCH is only valid for a file compiled with the same flags and defines, so a target either makes its
# own or reuses one from a target with the same compile line (lab_reuse_pch).
#
# -DLAB_PCH=OFF builds without them: a file that forgot an include compiles with the PCH (the PCH
# included it), so build once with LAB_PCH=OFF after changing includes.
option(LAB_PCH "Precompile the common Qt headers (faster builds; OFF to check that each file's includes suffice)" ON)

set(LAB_PCH_CORE
  <QByteArray> <QDateTime> <QElapsedTimer> <QFile> <QHash> <QHostAddress> <QJsonArray> <QJsonDocument>
  <QJsonObject> <QList> <QLoggingCategory> <QMap> <QMutex> <QObject> <QSet> <QString> <QStringList>
  <QTcpServer> <QTcpSocket> <QThread> <QTimer>
  <algorithm> <atomic> <cmath> <functional> <memory> <optional> <vector>)
set(LAB_PCH_UI ${LAB_PCH_CORE}
  <QAction> <QCheckBox> <QColor> <QComboBox> <QFileDialog> <QFileInfo> <QHBoxLayout> <QHeaderView> <QLabel>
  <QMenu> <QMessageBox> <QPainter> <QPlainTextEdit> <QPushButton> <QSpinBox> <QTableView> <QVBoxLayout>
  <QWidget> <QChart> <QValueAxis>)
set(LAB_PCH_TEST <QTest> <QSignalSpy> <QTemporaryDir> <QDir>)

# lab_precompile(TARGET CORE|UI [TEST]): TARGET makes its own PCH from the core or ui list (plus the
# Qt Test headers with TEST). C++ only: llhttp's C files never see it.
function(lab_precompile target layer)
  if(NOT LAB_PCH)
    return()
  endif()
  set(headers ${LAB_PCH_${layer}})
  if("TEST" IN_LIST ARGN)
    list(APPEND headers ${LAB_PCH_TEST})
  endif()
  list(TRANSFORM headers REPLACE "(.+)" "$<$<COMPILE_LANGUAGE:CXX>:\\1>")
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()

# lab_reuse_pch(TARGET FROM): TARGET compiles with FROM's PCH. FROM must have the same compile options,
# defines that reach the headers, and include directories of Qt (gcc rejects a PCH built otherwise, and
# -Winvalid-pch, which CMake adds, says so).
function(lab_reuse_pch target from)
  if(LAB_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
  endif()
endfunction()
