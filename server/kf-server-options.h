/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KfServerOptionsSaved KfServerOptionsSaved;

gboolean              kf_server_options_load_file (const GOptionEntry    *entries,
                                                   const char * const    *not_in_file,
                                                   const char            *path,
                                                   GError               **error);
KfServerOptionsSaved *kf_server_options_save      (const GOptionEntry    *entries);
void                  kf_server_options_restore   (const GOptionEntry    *entries,
                                                   const KfServerOptionsSaved *saved);
void                  kf_server_options_saved_free (KfServerOptionsSaved *saved);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfServerOptionsSaved, kf_server_options_saved_free)

G_END_DECLS
