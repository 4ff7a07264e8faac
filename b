+++ 25161 exited with 0 +++
