#pragma once

#include <QColor>

namespace lab {

// The colours the window gives a backend's states, in one place: the board's State and Health cells and
// the Health tab's bands, probe ticks and legend paint the same state in the same colour. Each view maps
// its own states onto these (BackendTableModel::stateColor, HealthTimeline::bandColor).
namespace StateColors {

inline constexpr QColor up{0xb8, 0xe8, 0xb8}; // in rotation
inline constexpr QColor down{0xf2, 0xa0, 0xa0}; // stopped, or the probes say it is down
inline constexpr QColor draining{0xf8, 0xe0, 0x90}; // the operator's choice: finishing, then out
// Out for now and expected back: ejected by outlier detection; on the board also a backend that hangs,
// refuses or is stopping.
inline constexpr QColor ejected{0xf6, 0xc0, 0x8a};
inline constexpr QColor external{0xdc, 0xe4, 0xf0}; // not run by the lab, no fault knobs
inline constexpr QColor circuitOpen{0xc8, 0x90, 0xe0};
inline constexpr QColor halfOpen{0xe8, 0xd0, 0xf0};
inline constexpr QColor slowStart{0xb8, 0xdc, 0xf4};
inline constexpr QColor panicRouted{0xf6, 0xd8, 0xa8}; // unhealthy, yet taking traffic: too few are healthy (panic)
inline constexpr QColor probePassed{0x2c, 0xa0, 0x2c};
inline constexpr QColor probeFailed{0xd6, 0x27, 0x28};

} // namespace StateColors

} // namespace lab
