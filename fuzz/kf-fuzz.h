/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What every fuzz target shares (fuzz/kf-fuzz.c).  A target defines only
 * LLVMFuzzerTestOneInput(); LLVMFuzzerInitialize() is here, so libFuzzer
 * and fuzz/standalone-main.c start every target the same way. */

int  LLVMFuzzerInitialize   (int            *argc,
                             char         ***argv);
int  LLVMFuzzerTestOneInput (const guint8   *data,
                             size_t          size);

void kf_fuzz_check          (gboolean        condition,
                             const char     *what);

G_END_DECLS
