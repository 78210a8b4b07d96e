/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KF_TYPE_FUZZ_STREAM (kf_fuzz_stream_get_type ())

G_DECLARE_FINAL_TYPE (KfFuzzStream, kf_fuzz_stream, KF, FUZZ_STREAM, GInputStream)

GInputStream *kf_fuzz_stream_new (const guint8 *data,
                                  gsize         len,
                                  gsize         chunk);

G_END_DECLS
