// murmur::Error: the one exception type the library throws for bad input or bad settings.
//
//   throw murmur::Error("AS_003_sit_Aor.wav: truncated after 41872 of 80000 frames");
//
// Defined in the installed interface (include/murmur/error.h), so a program built on the
// library catches the same type the internals throw.
#pragma once

#include "murmur/error.h"
