// kehoach's own script: pages work without it; it only adds conveniences (no third-party code).
"use strict";
