#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>
#include <algorithm>

namespace lab {

// Text held by a slot of a preallocated ring (RequestTrace, LifecycleStream) without a heap allocation
// per write: up to `N` code units are copied into the slot itself; only longer text (a long path, a long
// chain of attempts) goes to a heap string. Written on the data path, turned into a QString only when a
// reader asks. Copying instead of sharing the writer's QString matters: a shared buffer would be copied
// by the writer's next change, an allocation per sampled request. The inline array is left
// uninitialised, so the pages of a ring's unused slots are not touched.
template <typename Unit, int N> class SlotChars {
public:
    void assign(const Unit* text, qsizetype size)
    {
        if (size <= N) {
            std::copy_n(text, size, m_inline);
            m_size = int(size);
            m_long.clear();
        } else {
            m_long.resize(size);
            std::copy_n(text, size, reinterpret_cast<Unit*>(m_long.data()));
            m_size = -1;
        }
    }
    const Unit* data() const { return m_size >= 0 ? m_inline : reinterpret_cast<const Unit*>(m_long.constData()); }
    qsizetype size() const { return m_size >= 0 ? m_size : m_long.size(); }

private:
    using Heap = std::conditional_t<sizeof(Unit) == 1, QByteArray, QString>;
    Unit m_inline[N];
    int m_size = 0; // -1: the text is in m_long
    Heap m_long;
};

// UTF-16 text (names, chains, explanations).
template <int N> class SlotText {
public:
    void assign(QStringView text) { m_chars.assign(text.utf16(), text.size()); }
    QStringView view() const { return QStringView(m_chars.data(), m_chars.size()); }
    QString toString() const { return view().toString(); }
    bool operator==(QStringView other) const { return view() == other; }

private:
    SlotChars<char16_t, N> m_chars;
};

// Bytes as they came off the wire (an address, a method, a target), decoded by the reader.
template <int N> class SlotBytes {
public:
    void assign(QByteArrayView bytes) { m_chars.assign(bytes.data(), bytes.size()); }
    QByteArrayView view() const { return QByteArrayView(m_chars.data(), m_chars.size()); }
    QString fromLatin1() const { return QString::fromLatin1(view()); }
    QString fromUtf8() const { return QString::fromUtf8(view()); }

private:
    SlotChars<char, N> m_chars;
};

} // namespace lab
