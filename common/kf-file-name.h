/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

#include "kf-transfer-error.h"

G_BEGIN_DECLS

#define KF_FILE_NAME_MAX 255

char *kf_file_name_sanitize (const char  *raw,
                             gsize        raw_len,
                             GError     **error);

G_END_DECLS
