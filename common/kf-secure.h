#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *kf_secure_strdup  (const char *text);
char *kf_secure_strndup (const char *text,
                         gsize       len);
void  kf_secure_strfree (char       *text);

G_END_DECLS
