/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KF_TYPE_RESULT_FILES (kf_result_files_get_type ())
G_DECLARE_FINAL_TYPE (KfResultFiles, kf_result_files, KF, RESULT_FILES, AdwBin)

gboolean kf_result_files_show (KfResultFiles *self,
                               GPtrArray     *files,
                               gboolean       sender);

G_END_DECLS
