/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *kf_secure_strdup  (const char *text);
char *kf_secure_strndup (const char *text,
                         gsize       len);
void  kf_secure_strfree (char       *text);

/* g_autoptr(KfSecureString) line = …: a secure string wiped and freed
 * with kf_secure_strfree() when it goes out of scope. */
typedef char KfSecureString;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfSecureString, kf_secure_strfree)

G_END_DECLS
