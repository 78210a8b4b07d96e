#pragma once

#include <glib.h>

G_BEGIN_DECLS

int kf_cli_crypt_main (int    argc,
                       char **argv);

G_END_DECLS
