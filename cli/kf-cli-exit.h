#pragma once

/* keyferry-cli's exit statuses: scripts tell outcomes apart by them. */
typedef enum
{
  KF_CLI_EXIT_OK     = 0,
  KF_CLI_EXIT_FAILED = 1,
  KF_CLI_EXIT_USAGE  = 2,
} KfCliExit;
